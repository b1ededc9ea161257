package buildx

import (
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strconv"
	"strings"

	"github.com/BurntSushi/toml"

	"github.com/cnoe-io/docker-credential-idpbuilder/internal/cli"
)

// The lines install adds to the user's buildkitd.default.toml follow a
// marker comment, so uninstall removes exactly those lines (and the line
// break or file install added with them) and nothing the user wrote.
const (
	markerPrefix  = "# " + cli.Name + " install --trust-ca added "
	markerTable   = "this table"
	markerLine    = "the next line"
	markerFile    = " and the file"
	markerNewline = " and the line break before it"
	markerEnd     = "; uninstall removes it."
)

// LeftAloneError says why install did not edit the user's BuildKit
// configuration: the registry's settings there are the user's own, or
// written in a form install does not edit. Install reports it as a
// warning with the lines to add by hand.
type LeftAloneError struct {
	Reason string
}

func (e *LeftAloneError) Error() string { return e.Reason }

// Snippet is the BuildKit configuration that trusts caFile for host.
func Snippet(host, caFile string) string {
	return "[registry." + basicString(host) + "]\n  " + caLine(caFile) + "\n"
}

func caLine(caFile string) string { return "ca = [" + basicString(caFile) + "]" }

// ourCALine reports whether line is a ca line as install writes it, and
// the file it names.
func ourCALine(line string) (string, bool) {
	s := strings.TrimSpace(line)
	if !strings.HasPrefix(s, "ca = [\"") || !strings.HasSuffix(s, "\"]") {
		return "", false
	}
	inner := strings.TrimSuffix(strings.TrimPrefix(s, "ca = ["), "]")
	if closingQuote(inner) != len(inner)-1 {
		return "", false
	}
	p, err := strconv.Unquote(inner)
	return p, err == nil
}

// AddCA returns data (the content of buildkitd.default.toml; exists says
// whether the file exists) with `ca = [caFile]` for host: a new
// [registry."host"] table at the end, or one line under the table's header
// when the file has one without a ca. Everything else stays byte for byte.
// changed is false when the file already trusts caFile for host. A
// *LeftAloneError means the user's own settings for host are in the way.
func AddCA(data []byte, exists bool, host, caFile string) (out []byte, changed bool, err error) {
	if strings.ContainsAny(caFile, "\x00\r\n") {
		return nil, false, fmt.Errorf("the CA file path %q cannot be written in a TOML file", caFile)
	}
	old, err := decode(data)
	if err != nil {
		return nil, false, err
	}
	lines := splitLines(data)
	eol := lineEnding(lines)
	hand := "add by hand:\n" + Snippet(host, caFile)
	if entry, ok := registries(old)[host]; ok {
		table, ok := entry.(map[string]any)
		if !ok {
			return nil, false, &LeftAloneError{fmt.Sprintf("registry %q is not a table; %s", host, hand)}
		}
		if cas, ok := table["ca"]; ok {
			if list, ok := cas.([]any); ok && slices.Contains(list, any(caFile)) {
				return data, false, nil
			}
			return nil, false, &LeftAloneError{fmt.Sprintf("registry %q already has its own ca = %v; add %s to that list by hand", host, cas, basicString(caFile))}
		}
		i := slices.IndexFunc(lines, func(l string) bool { k, ok := tableHeader(l); return ok && slices.Equal(k, []string{"registry", host}) })
		if i < 0 {
			return nil, false, &LeftAloneError{fmt.Sprintf("registry %q is set with dotted keys or an inline table, which install does not edit; %s", host, hand)}
		}
		marker := markerPrefix + markerLine
		if !strings.HasSuffix(lines[i], "\n") {
			lines[i] += eol
			marker += markerNewline
		}
		indent := keyIndent(lines[i+1:])
		lines = slices.Insert(lines, i+1, indent+marker+markerEnd+eol, indent+caLine(caFile)+eol)
	} else {
		if _, ok := old["registry"]; ok && !slices.ContainsFunc(lines, func(l string) bool { k, ok := tableHeader(l); return ok && k[0] == "registry" }) {
			// An inline table (registry = {...}) cannot be extended by a
			// header; some parsers accept it anyway, BuildKit's may not.
			return nil, false, &LeftAloneError{fmt.Sprintf("the file's registry settings are an inline table or dotted keys, which install does not edit; %s", hand)}
		}
		marker := markerPrefix + markerTable
		switch {
		case !exists:
			marker += markerFile
		case len(lines) > 0 && !strings.HasSuffix(lines[len(lines)-1], "\n"):
			lines[len(lines)-1] += eol
			marker += markerNewline
		}
		lines = append(lines, marker+markerEnd+eol, "[registry."+basicString(host)+"]"+eol, "  "+caLine(caFile)+eol)
	}
	out = []byte(strings.Join(lines, ""))

	// Check the result means what the user's file meant, plus the CA.
	want, _ := decode(data)
	regs, ok := want["registry"].(map[string]any)
	if !ok {
		regs = map[string]any{}
		want["registry"] = regs
	}
	table, ok := regs[host].(map[string]any)
	if !ok {
		table = map[string]any{}
		regs[host] = table
	}
	table["ca"] = []any{caFile}
	if got, err := decode(out); err != nil || !reflect.DeepEqual(got, want) {
		return nil, false, &LeftAloneError{fmt.Sprintf("adding registry %q would change the meaning of the file's other settings (an inline registry table?); %s", host, hand)}
	}
	return out, true, nil
}

// RemoveCA returns data without what AddCA added, for every host. It
// removes only marked lines still as install wrote them; removeFile is true
// when install created the file and nothing else is left in it. notes say
// which marked lines were changed by the user and so left in place.
func RemoveCA(data []byte) (out []byte, changed, removeFile bool, notes []string, err error) {
	want, err := decode(data)
	if err != nil {
		return nil, false, false, nil, err
	}
	lines := splitLines(data)
	var keep []string
	createdFile := false
	for i := 0; i < len(lines); i++ {
		marker := strings.TrimSpace(lines[i])
		if !strings.HasPrefix(marker, markerPrefix) {
			keep = append(keep, lines[i])
			continue
		}
		what := strings.TrimSuffix(strings.TrimPrefix(marker, markerPrefix), markerEnd)
		newline := strings.Contains(what, markerNewline)
		switch {
		case strings.HasPrefix(what, markerTable) && i+2 < len(lines):
			keys, isHeader := tableHeader(lines[i+1])
			caFile, isCA := ourCALine(lines[i+2])
			if !isHeader || len(keys) != 2 || keys[0] != "registry" || !isCA {
				break
			}
			host := keys[1]
			own := !tableHasOtherLines(lines[i+3:])
			dropCA(want, host, caFile, own)
			if !own {
				// The user added settings under our header: keep it.
				keep = append(keep, lines[i+1])
			}
			if own && newline && i+3 == len(lines) && len(keep) > 0 {
				keep[len(keep)-1] = strings.TrimRight(keep[len(keep)-1], "\r\n")
			}
			createdFile = createdFile || strings.Contains(what, markerFile)
			i += 2
			changed = true
			continue
		case strings.HasPrefix(what, markerLine) && i+1 < len(lines):
			caFile, isCA := ourCALine(lines[i+1])
			host, inRegistry := enclosingRegistry(keep)
			if !isCA || !inRegistry {
				break
			}
			dropCA(want, host, caFile, false)
			if newline && i+2 == len(lines) && len(keep) > 0 {
				keep[len(keep)-1] = strings.TrimRight(keep[len(keep)-1], "\r\n")
			}
			i++
			changed = true
			continue
		}
		notes = append(notes, fmt.Sprintf("line %d: the lines after install's comment were changed since; left in place", i+1))
		keep = append(keep, lines[i])
	}
	if !changed {
		return data, false, false, notes, nil
	}
	out = []byte(strings.Join(keep, ""))
	got, err := decode(out)
	if err != nil || !reflect.DeepEqual(withoutEmptyRegistry(got), withoutEmptyRegistry(want)) {
		return nil, false, false, notes, errors.New("removing install's lines would change the meaning of the file's other settings; remove the lines after the comments that name " + cli.Name + " by hand")
	}
	removeFile = createdFile && strings.TrimSpace(string(out)) == ""
	return out, true, removeFile, notes, nil
}

// dropCA removes from the decoded file what install's lines for host
// meant: the ca, and the table itself when install made it.
func dropCA(cfg map[string]any, host, caFile string, wholeTable bool) {
	regs, _ := cfg["registry"].(map[string]any)
	table, _ := regs[host].(map[string]any)
	if table == nil {
		return
	}
	if list, ok := table["ca"].([]any); ok && reflect.DeepEqual(list, []any{caFile}) {
		delete(table, "ca")
	}
	if wholeTable && len(table) == 0 {
		delete(regs, host)
	}
}

// withoutEmptyRegistry drops an empty registry table, which a file with no
// registry at all and one with a bare [registry] header both decode to.
func withoutEmptyRegistry(cfg map[string]any) map[string]any {
	if regs, ok := cfg["registry"].(map[string]any); ok && len(regs) == 0 {
		delete(cfg, "registry")
	}
	return cfg
}

// tableHasOtherLines reports whether lines, up to the next table header,
// hold anything but blanks and comments.
func tableHasOtherLines(lines []string) bool {
	for _, l := range lines {
		s := strings.TrimSpace(l)
		if strings.HasPrefix(s, "[") {
			return false
		}
		if s != "" && !strings.HasPrefix(s, "#") {
			return true
		}
	}
	return false
}

// enclosingRegistry is the host of the last table header in lines when it
// is [registry."host"].
func enclosingRegistry(lines []string) (string, bool) {
	for i := len(lines) - 1; i >= 0; i-- {
		if keys, ok := tableHeader(lines[i]); ok {
			if len(keys) == 2 && keys[0] == "registry" {
				return keys[1], true
			}
			return "", false
		}
	}
	return "", false
}

// keyIndent is the indentation of the first key under a header, so an
// added line looks like its neighbours.
func keyIndent(lines []string) string {
	for _, l := range lines {
		s := strings.TrimLeft(l, " \t")
		if strings.HasPrefix(s, "[") {
			break
		}
		if _, ok := keyValueKey(s); ok {
			return l[:len(l)-len(s)]
		}
	}
	return ""
}

// registries is the decoded file's registry table.
func registries(cfg map[string]any) map[string]any {
	regs, _ := cfg["registry"].(map[string]any)
	return regs
}

func decode(data []byte) (map[string]any, error) {
	cfg := map[string]any{}
	if _, err := toml.Decode(string(data), &cfg); err != nil {
		return nil, fmt.Errorf("not valid TOML: %w", err)
	}
	return cfg, nil
}

// splitLines splits data after each line break, keeping them, so joining
// the lines gives data back.
func splitLines(data []byte) []string {
	lines := strings.SplitAfter(string(data), "\n")
	if len(lines) > 0 && lines[len(lines)-1] == "" {
		lines = lines[:len(lines)-1]
	}
	return lines
}

// lineEnding is the file's own line break: CRLF when its first line has
// one.
func lineEnding(lines []string) string {
	if len(lines) > 0 && strings.HasSuffix(lines[0], "\r\n") {
		return "\r\n"
	}
	return "\n"
}
