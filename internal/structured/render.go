package structured

import (
	"fmt"
	"strings"
)

// Markdown renders a JSON value for reading, keys in the order written:
// an object's scalar members become "**Key:** value" lines, its arrays and
// objects sections headed by the key; arrays become bullet lists, an object
// in a list one bullet of its scalar members joined by " — ". Keys read
// as words ("key_points" → "Key points"); empty lists read "None.".
func Markdown(text string) (string, error) {
	v, err := parseOrdered([]byte(text))
	if err != nil {
		return "", fmt.Errorf("render: %w", err)
	}
	var b strings.Builder
	renderValue(&b, v, 3)
	return strings.TrimSpace(b.String()) + "\n", nil
}

func renderValue(b *strings.Builder, v oval, level int) {
	switch {
	case v.isObj:
		for _, m := range v.obj {
			if scalar(m.val) {
				fmt.Fprintf(b, "**%s:** %s\n\n", words(m.key), scalarText(m.val))
				continue
			}
			fmt.Fprintf(b, "%s %s\n\n", strings.Repeat("#", min(level, 6)), words(m.key))
			renderValue(b, m.val, level+1)
		}
	case v.isArr:
		if len(v.arr) == 0 {
			b.WriteString("None.\n\n")
			return
		}
		for _, e := range v.arr {
			fmt.Fprintf(b, "- %s\n", itemText(e))
		}
		b.WriteString("\n")
	default:
		b.WriteString(scalarText(v) + "\n\n")
	}
}

func scalar(v oval) bool { return !v.isObj && !v.isArr }

func scalarText(v oval) string {
	switch {
	case v.str != nil:
		if strings.TrimSpace(*v.str) == "" {
			return "—"
		}
		return strings.Join(strings.Fields(*v.str), " ")
	case v.b != nil:
		if *v.b {
			return "yes"
		}
		return "no"
	case v.null:
		return "—"
	}
	return string(v.num)
}

// itemText is one list item on one line.
func itemText(v oval) string {
	switch {
	case v.isObj:
		var parts []string
		for _, m := range v.obj {
			if t := itemText(m.val); t != "—" && t != "" {
				parts = append(parts, t)
			}
		}
		return strings.Join(parts, " — ")
	case v.isArr:
		var parts []string
		for _, e := range v.arr {
			parts = append(parts, itemText(e))
		}
		return strings.Join(parts, "; ")
	}
	return scalarText(v)
}

func words(key string) string {
	s := strings.ReplaceAll(strings.ReplaceAll(key, "_", " "), "-", " ")
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}
