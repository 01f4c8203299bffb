package langid

import (
	"strings"
	"testing"
)

// TestDetect names each language from a few sentences of real text
// (Debian Reference translations, Firefox and LibreOffice messages, the
// Universal Declaration of Human Rights, article 1).
func TestDetect(t *testing.T) {
	tests := []struct{ want, text string }{
		{"en", "I think learning a computer system is like learning a new foreign language. Although tutorial books and documentation are helpful, you have to practice it yourself."},
		{"de", "Ich denke, ein Computersystem zu erlernen ist wie das Erlernen einer Fremdsprache. Obwohl Anleitungen und Dokumentation hilfreich sind, müssen Sie es selbst einüben."},
		{"fr", "Je pense qu’apprendre un système d’exploitation est comme apprendre une nouvelle langue étrangère. Bien que les livres de didacticiels et de documentation soient utiles, vous devrez pratiquer vous-même."},
		{"it", "Penso che imparare un sistema informatico sia come imparare una lingua straniera. Anche se le guide e la documentazione sono utili, si deve fare pratica diretta."},
		{"pt", "Acho que aprender um sistema de computador é como aprender uma nova língua estrangeira. Apesar dos livros e documentação darem ajuda, tem que praticar também."},
		{"es", "Aprender a usar un sistema informático es como aprender un idioma nuevo. Aunque los libros de ayuda y la documentación son útiles, uno debe practicarlo."},
		{"hi", "आप इस साइट से सुरक्षित रूप से नहीं जुड़े हैं। Mozilla इस प्रमाणपत्र जारीकर्ता को नहीं पहचानता है।"},
		{"th", "การเชื่อมต่อของคุณไปยังไซต์นี้ไม่เป็นส่วนตัว ข้อมูลที่คุณแบ่งปันกับไซต์นี้สามารถดูได้โดยผู้อื่น"},
		{"zh", "人人生而自由，在尊严和权利上一律平等。他们赋有理性和良心，并应以兄弟关系的精神相对待。"},
		{"ja", "すべての人間は、生まれながらにして自由であり、かつ、尊厳と権利とについて平等である。"},
		{"ko", "모든 인간은 태어날 때부터 자유로우며 그 존엄과 권리에 있어 동등하다."},
		{"ru", "Все люди рождаются свободными и равными в своем достоинстве и правах."},
		{"ar", "يولد جميع الناس أحرارًا متساوين في الكرامة والحقوق."},
		{"uk", "Всі люди народжуються вільними і рівними у своїй гідності та правах."},
		{"fa", "تمام افراد بشر آزاد به دنیا می\u200cآیند و از لحاظ حیثیت و حقوق با هم برابرند."},
		{"nl", "Alle mensen worden vrij en gelijk in waardigheid en rechten geboren. Zij zijn begiftigd met verstand en geweten."},
		{"en", ""},
		{"en", "12345 !!!"},
	}
	for _, tt := range tests {
		if got := Detect(tt.text); got != tt.want {
			t.Errorf("Detect(%.40q) = %s, want %s", tt.text, got, tt.want)
		}
	}
}

// TestDetectReadsAPrefix: only the first Limit bytes count, cut on a rune
// boundary.
func TestDetectReadsAPrefix(t *testing.T) {
	text := strings.Repeat("Die Katze ist nicht auf dem Tisch. ", Limit/30) + strings.Repeat("The cat is on the table and it is happy. ", Limit/20)
	if got := Detect(text); got != "de" {
		t.Errorf("Detect = %s, want de (the English part lies past the limit)", got)
	}
	if got := Detect(strings.Repeat("é", Limit)); got != "en" {
		t.Errorf("Detect of a cut rune = %s", got)
	}
}
