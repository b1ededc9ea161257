package buildx

import (
	"strconv"
	"strings"
)

// tableHeader parses a TOML table header line ("[a."b".'c'] # comment") into
// its keys. It reports ok=false for any other line, and for an array of
// tables ("[[a]]"), which install never edits.
func tableHeader(line string) (keys []string, ok bool) {
	s := strings.TrimLeft(line, " \t")
	if !strings.HasPrefix(s, "[") || strings.HasPrefix(s, "[[") {
		return nil, false
	}
	keys, rest, ok := dottedKey(s[1:])
	if !ok || !strings.HasPrefix(rest, "]") {
		return nil, false
	}
	rest = strings.TrimLeft(rest[1:], " \t")
	rest = strings.TrimRight(rest, "\r\n")
	if rest != "" && !strings.HasPrefix(rest, "#") {
		return nil, false
	}
	return keys, true
}

// keyValueKey is the key of a "key = value" line, whose keys may be dotted;
// ok=false for any other line.
func keyValueKey(line string) (keys []string, ok bool) {
	keys, rest, ok := dottedKey(line)
	if !ok || !strings.HasPrefix(rest, "=") {
		return nil, false
	}
	return keys, true
}

// dottedKey reads `key . "key" . 'key'` with the blanks TOML allows around
// each part, returning the keys and what follows them (blanks trimmed).
func dottedKey(s string) (keys []string, rest string, ok bool) {
	for {
		s = strings.TrimLeft(s, " \t")
		var k string
		switch {
		case strings.HasPrefix(s, `"`):
			end := closingQuote(s)
			if end < 0 {
				return nil, "", false
			}
			u, err := strconv.Unquote(s[:end+1])
			if err != nil {
				return nil, "", false
			}
			k, s = u, s[end+1:]
		case strings.HasPrefix(s, "'"):
			end := strings.IndexByte(s[1:], '\'')
			if end < 0 {
				return nil, "", false
			}
			k, s = s[1:end+1], s[end+2:]
		default:
			n := 0
			for n < len(s) && isBareKeyChar(s[n]) {
				n++
			}
			if n == 0 {
				return nil, "", false
			}
			k, s = s[:n], s[n:]
		}
		keys = append(keys, k)
		s = strings.TrimLeft(s, " \t")
		if !strings.HasPrefix(s, ".") {
			return keys, s, true
		}
		s = s[1:]
	}
}

// closingQuote is the index of the quote that ends the basic string s
// starts with, skipping escaped characters; -1 when there is none.
func closingQuote(s string) int {
	for i := 1; i < len(s); i++ {
		switch s[i] {
		case '\\':
			i++
		case '"':
			return i
		}
	}
	return -1
}

func isBareKeyChar(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-'
}

// basicString quotes s as a TOML basic string.
func basicString(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `"`, `\"`)
	return `"` + r.Replace(s) + `"`
}
