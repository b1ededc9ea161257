package cli

import (
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/spf13/pflag"
)

// CompletionCommand is the name of the command that prints a completion
// script.
const CompletionCommand = "completion"

// shells are the shells CompletionCommand writes scripts for.
func shells() []string { return []string{"bash", "zsh", "fish"} }

const completionHelp = `Prints a script that completes the commands of ` + Name + `, their flags and
their values (files, folders, kubeconfig contexts) in your shell:

  bash  source <(` + Name + ` completion bash)   # in ~/.bashrc
  zsh   source <(` + Name + ` completion zsh)    # in ~/.zshrc, after compinit
  fish  ` + Name + ` completion fish | source    # in ~/.config/fish/config.fish

or save it where the shell loads completions from (bash-completion's
completions folder, a folder on $fpath as _` + Name + `, or
~/.config/fish/completions/` + Name + `.fish).
`

// WithCompletion returns a with the completion command added. Its scripts
// complete, for the program users type (Name), the commands names lists
// (each a command of a, in that order) with their flags, then completion,
// version and help: a command added to the table and to names is completed
// with no change here.
func (a App) WithCompletion(names ...string) App {
	a.Commands = append(slices.Clip(a.Commands), Command{
		Name: CompletionCommand,
		Args: strings.Join(shells(), "|"),
		Help: completionHelp,
		Run: func(args []string, _ io.Reader, stdout, stderr io.Writer, _ func(string) string) int {
			if len(args) != 1 || !slices.Contains(shells(), args[0]) {
				UsageError(stderr, "%s takes one shell: %s", CompletionCommand, strings.Join(shells(), ", "))
				return ExitUsage
			}
			spec, err := a.completionSpec(names)
			if err != nil {
				fmt.Fprintf(stderr, "%s: %s: %v\n", Name, CompletionCommand, err)
				return ExitError
			}
			switch args[0] {
			case "bash":
				writeBash(stdout, spec)
			case "zsh":
				writeZsh(stdout, spec)
			case "fish":
				writeFish(stdout, spec)
			}
			return ExitOK
		},
	})
	return a
}

// compCommand is one command as a completion script sees it.
type compCommand struct {
	name, summary string
	flags         []compFlag
	words         []string // the words its arguments are one of
}

// compFlag is one flag as a completion script sees it.
type compFlag struct {
	name, short, usage string
	value              valueKind
	repeatable         bool
}

// valueKind is what a flag's value is completed with.
type valueKind int

const (
	noValue      valueKind = iota // a bool flag
	anyValue                      // a value nothing suggests
	fileValue                     // a file path
	dirValue                      // a folder
	contextValue                  // a kubeconfig context (kubectl's list)
)

// completionSpec is what the scripts complete: the named commands and their
// flags as their Flags declare them, then completion, version and help.
func (a App) completionSpec(names []string) ([]compCommand, error) {
	var spec []compCommand
	for _, name := range names {
		c, ok := a.find(name)
		if !ok {
			return nil, fmt.Errorf("no command %q to complete", name)
		}
		spec = append(spec, compCommand{name: c.Name, summary: c.Summary, flags: completionFlags(c)})
	}
	spec = append(spec, compCommand{name: CompletionCommand, summary: "print a shell completion script", words: shells()})
	commands := append(slices.Clone(names), CompletionCommand)
	if a.Version != nil {
		spec = append(spec, compCommand{name: "version", summary: "print the version"})
		commands = append(commands, "version")
	}
	return append(spec, compCommand{name: "help", summary: "print the usage, or a command's flags", words: commands}), nil
}

// completionFlags declares c's flags on a flag set, as the App does before
// it parses them, and reads them back.
func completionFlags(c Command) []compFlag {
	if c.Flags == nil {
		return nil
	}
	fs := pflag.NewFlagSet(c.Name, pflag.ContinueOnError)
	fs.SortFlags = false
	c.Flags(fs)
	fs.BoolP("help", "h", false, "print this help")
	var flags []compFlag
	fs.VisitAll(func(f *pflag.Flag) {
		varname, usage := pflag.UnquoteUsage(f)
		flags = append(flags, compFlag{name: f.Name, short: f.Shorthand, usage: usage,
			value: kindOf(f, varname), repeatable: strings.HasSuffix(f.Value.Type(), "Array") || strings.HasSuffix(f.Value.Type(), "Slice")})
	})
	return flags
}

// kindOf reads what a flag's value is from its type and the name its usage
// gives the value (`path`, `folder`, `context`).
func kindOf(f *pflag.Flag, varname string) valueKind {
	if f.NoOptDefVal != "" {
		return noValue
	}
	switch strings.ToLower(varname) {
	case "path", "file":
		return fileValue
	case "folder", "dir", "directory":
		return dirValue
	case "context":
		return contextValue
	}
	return anyValue
}

// funcName is the shells' name for the program's completion function.
func funcName() string { return "_" + strings.ReplaceAll(Name, "-", "_") }

// kubectlContexts lists the kubeconfig's contexts, or nothing without
// kubectl.
const kubectlContexts = "kubectl config get-contexts -o name 2>/dev/null"

func writeBash(w io.Writer, spec []compCommand) {
	fn := funcName()
	var top []string
	for _, c := range spec {
		top = append(top, c.name)
	}
	fmt.Fprintf(w, `# bash completion for %[1]s: source <(%[1]s completion bash)

%[2]s_values() {
	case $1 in
	file) compopt -o filenames 2>/dev/null; COMPREPLY=($(compgen -f -- "$2")) ;;
	dir) compopt -o filenames 2>/dev/null; COMPREPLY=($(compgen -d -- "$2")) ;;
	context) COMPREPLY=($(compgen -W "$(%[3]s)" -- "$2")) ;;
	esac
}

%[2]s() {
	local cur=${COMP_WORDS[COMP_CWORD]} prev= flag=
	((COMP_CWORD > 1)) && prev=${COMP_WORDS[COMP_CWORD-1]}
	COMPREPLY=()
	if ((COMP_CWORD == 1)); then
		COMPREPLY=($(compgen -W %[4]s -- "$cur"))
		return
	fi
	# bash splits --flag=value at the '=' (COMP_WORDBREAKS).
	if [[ $cur == = ]]; then
		flag=$prev cur=
	elif [[ $prev == = ]] && ((COMP_CWORD > 2)); then
		flag=${COMP_WORDS[COMP_CWORD-2]}
	elif [[ $prev == -* ]]; then
		flag=$prev
	fi
	case ${COMP_WORDS[1]} in
`, Name, fn, kubectlContexts, bashQuote(strings.Join(top, " ")))
	for _, c := range spec {
		fmt.Fprintf(w, "\t%s)\n", c.name)
		var values, words []string
		for _, f := range c.flags {
			names := []string{"--" + f.name}
			if f.short != "" {
				names = append(names, "-"+f.short)
			}
			words = append(words, names...)
			if f.value != noValue {
				values = append(values, fmt.Sprintf("\t\t%s) %s_values %s \"$cur\"; return ;;\n", strings.Join(names, "|"), fn, bashKind(f.value)))
			}
		}
		if len(values) > 0 {
			fmt.Fprintf(w, "\t\tcase $flag in\n%s\t\tesac\n", strings.Join(values, ""))
		}
		if c.words != nil {
			fmt.Fprintf(w, "\t\t((COMP_CWORD == 2)) && COMPREPLY=($(compgen -W %s -- \"$cur\"))\n", bashQuote(strings.Join(c.words, " ")))
		}
		if words != nil {
			fmt.Fprintf(w, "\t\tCOMPREPLY=($(compgen -W %s -- \"$cur\"))\n", bashQuote(strings.Join(words, " ")))
		}
		io.WriteString(w, "\t\t;;\n")
	}
	fmt.Fprintf(w, "\tesac\n}\n\ncomplete -F %s %s\n", fn, Name)
}

func bashKind(k valueKind) string {
	switch k {
	case fileValue:
		return "file"
	case dirValue:
		return "dir"
	case contextValue:
		return "context"
	}
	return "none"
}

// bashQuote quotes s for bash (and zsh): single quotes, a quote inside
// closed, escaped and reopened.
func bashQuote(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }

func writeZsh(w io.Writer, spec []compCommand) {
	fn := funcName()
	fmt.Fprintf(w, `#compdef %[1]s
# zsh completion for %[1]s: source <(%[1]s completion zsh)

%[2]s_contexts() {
	local -a contexts
	contexts=(${(f)"$(%[3]s)"})
	_describe -t contexts 'kubeconfig context' contexts
}

%[2]s() {
	local -a commands
	commands=(
`, Name, fn, kubectlContexts)
	for _, c := range spec {
		fmt.Fprintf(w, "\t\t%s\n", bashQuote(zshEscape(c.name, ":")+":"+c.summary))
	}
	fmt.Fprintf(w, `	)
	if ((CURRENT == 2)); then
		_describe -t commands command commands
		return
	fi
	local command=${words[2]}
	shift words
	((CURRENT--))
	case $command in
`)
	for _, c := range spec {
		fmt.Fprintf(w, "\t%s)\n\t\t_arguments -s", c.name)
		for _, f := range c.flags {
			fmt.Fprintf(w, " \\\n\t\t\t%s", zshFlag(f, fn))
		}
		if c.words != nil {
			fmt.Fprintf(w, " \\\n\t\t\t%s", bashQuote("1:"+c.name+":("+strings.Join(c.words, " ")+")"))
		}
		io.WriteString(w, "\n\t\t;;\n")
	}
	fmt.Fprintf(w, "\tesac\n}\n\nif [[ $zsh_eval_context[-1] == loadautofunc ]]; then\n\t%[1]s \"$@\"\nelse\n\tcompdef %[1]s %[2]s\nfi\n", fn, Name)
}

// zshFlag is f's _arguments spec: exclusions, names, [description],
// :message:action.
func zshFlag(f compFlag, fn string) string {
	desc := "[" + zshEscape(f.usage, "[]:") + "]"
	action := ""
	switch f.value {
	case anyValue:
		action = ":" + f.name + ": "
	case fileValue:
		action = ":" + f.name + ":_files"
	case dirValue:
		action = ":" + f.name + ":_files -/"
	case contextValue:
		action = ":" + f.name + ":" + fn + "_contexts"
	}
	long, short := "--"+f.name, "-"+f.short
	if f.value != noValue {
		long += "="
		short += "+"
	}
	switch {
	case f.short != "" && f.repeatable:
		return "'*'{" + short + "," + long + "}" + bashQuote(desc+action)
	case f.short != "":
		return bashQuote("(-"+f.short+" --"+f.name+")") + "{" + short + "," + long + "}" + bashQuote(desc+action)
	case f.repeatable:
		return bashQuote("*" + long + desc + action)
	}
	return bashQuote(long + desc + action)
}

// zshEscape puts a backslash before each of chars (and backslashes) in s.
func zshEscape(s, chars string) string {
	var b strings.Builder
	for _, r := range s {
		if r == '\\' || strings.ContainsRune(chars, r) {
			b.WriteByte('\\')
		}
		b.WriteRune(r)
	}
	return b.String()
}

func writeFish(w io.Writer, spec []compCommand) {
	fmt.Fprintf(w, "# fish completion for %[1]s: %[1]s completion fish | source\n\ncomplete -c %[1]s -f\n", Name)
	for _, c := range spec {
		fmt.Fprintf(w, "complete -c %s -n __fish_use_subcommand -a %s -d %s\n", Name, c.name, fishQuote(c.summary))
	}
	for _, c := range spec {
		cond := fishQuote("__fish_seen_subcommand_from " + c.name)
		for _, f := range c.flags {
			opts := "-l " + f.name
			if f.short != "" {
				opts += " -s " + f.short
			}
			switch f.value {
			case anyValue:
				opts += " -x"
			case fileValue:
				opts += " -r -F"
			case dirValue:
				opts += " -x -a '(__fish_complete_directories)'"
			case contextValue:
				opts += " -x -a " + fishQuote("("+kubectlContexts+")")
			}
			fmt.Fprintf(w, "complete -c %s -n %s %s -d %s\n", Name, cond, opts, fishQuote(f.usage))
		}
		if c.words != nil {
			fmt.Fprintf(w, "complete -c %s -n %s -x -a %s\n", Name, cond, fishQuote(strings.Join(c.words, " ")))
		}
	}
}

// fishQuote quotes s for fish: single quotes, with \ and ' escaped.
func fishQuote(s string) string {
	return "'" + strings.NewReplacer(`\`, `\\`, `'`, `\'`).Replace(s) + "'"
}
