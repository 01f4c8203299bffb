module github.com/llsum/llsum/bench/walk

go 1.26.0

require github.com/charlievieth/fastwalk v1.0.14 // indirect
