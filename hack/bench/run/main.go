// Command run times whole processes, the way docker runs a credential helper:
// one fork/exec per call, stdin from a file, stdout and stderr discarded.
//
// The cases are read from a tab-separated file, one per line:
//
//	name <TAB> stdin file (or -) <TAB> expected exit code <TAB> env (K=V ...; or -) <TAB> argv ...
//
// Every round runs every case once, in an order rotated by one each round, so
// that background load on a noisy machine falls on all cases alike; ratios
// are taken between medians of the same run. Timing never fails the run: a
// target not met is reported, not an error. A case that exits with another
// code than expected is an error (the benchmark measured the wrong thing).
//
// Usage: run -cases FILE -rounds N -warmup W [-json OUT] [-md OUT] [-target SPEC]...
//
// A target is "A/B<=0.5" (ratio of medians) or "A<100ms" (median).
package main

import (
	"bufio"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"
)

type caseDef struct {
	Name   string   `json:"name"`
	Stdin  string   `json:"stdin,omitempty"`
	Expect int      `json:"expectExit"`
	Env    []string `json:"env,omitempty"`
	Argv   []string `json:"argv"`
}

type result struct {
	caseDef
	Samples []float64 `json:"samplesMs"`
	Median  float64   `json:"medianMs"`
	Min     float64   `json:"minMs"`
	Max     float64   `json:"maxMs"`
	Mean    float64   `json:"meanMs"`
	// MaxRSSKB is the largest resident set seen over the runs.
	MaxRSSKB int64 `json:"maxRssKB"`
}

type target struct {
	Spec   string  `json:"spec"`
	A, B   string  `json:"-"`
	Op     string  `json:"-"`
	Limit  float64 `json:"limit"`
	Ms     bool    `json:"-"`
	Value  float64 `json:"value"`
	Met    bool    `json:"met"`
	Absent bool    `json:"-"`
}

type targets []string

func (t *targets) String() string     { return strings.Join(*t, ",") }
func (t *targets) Set(s string) error { *t = append(*t, s); return nil }

func main() {
	casesFile := flag.String("cases", "", "cases file")
	rounds := flag.Int("rounds", 30, "timed runs per case")
	warmup := flag.Int("warmup", 3, "untimed runs per case first")
	jsonOut := flag.String("json", "", "write the results as JSON here")
	mdOut := flag.String("md", "", "write the tables as Markdown here")
	var tgts targets
	flag.Var(&tgts, "target", "A/B<=0.5 or A<100ms (repeatable)")
	flag.Parse()

	cases, err := readCases(*casesFile)
	if err != nil {
		fail("%v", err)
	}
	env := os.Environ()
	results := make([]*result, len(cases))
	for i, c := range cases {
		results[i] = &result{caseDef: c}
	}
	devnull, err := os.OpenFile(os.DevNull, os.O_WRONLY, 0)
	if err != nil {
		fail("%v", err)
	}
	total := *warmup + *rounds
	for r := 0; r < total; r++ {
		for k := range results {
			res := results[(k+r)%len(results)]
			ms, rss, err := runOnce(res.caseDef, env, devnull)
			if err != nil {
				fail("case %s: %v", res.Name, err)
			}
			if r >= *warmup {
				res.Samples = append(res.Samples, ms)
				res.MaxRSSKB = max(res.MaxRSSKB, rss)
			}
		}
		fmt.Fprintf(os.Stderr, "\rbench: round %d/%d", r+1, total)
	}
	fmt.Fprintln(os.Stderr)
	byName := map[string]*result{}
	for _, res := range results {
		summarise(res)
		byName[res.Name] = res
	}
	var checked []target
	for _, spec := range tgts {
		t, err := parseTarget(spec)
		if err != nil {
			fail("%v", err)
		}
		evaluate(&t, byName)
		checked = append(checked, t)
	}

	md := markdown(results, checked, *rounds, *warmup)
	io.WriteString(os.Stdout, md)
	if *mdOut != "" {
		if err := os.WriteFile(*mdOut, []byte(md), 0o644); err != nil {
			fail("%v", err)
		}
	}
	if *jsonOut != "" {
		data, _ := json.MarshalIndent(map[string]any{"rounds": *rounds, "warmup": *warmup, "cases": results, "targets": checked}, "", "  ")
		if err := os.WriteFile(*jsonOut, append(data, '\n'), 0o644); err != nil {
			fail("%v", err)
		}
	}
}

func fail(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "bench: "+format+"\n", args...)
	os.Exit(1)
}

func readCases(path string) ([]caseDef, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var out []caseDef
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		if strings.TrimSpace(line) == "" || strings.HasPrefix(line, "#") {
			continue
		}
		cols := strings.Split(line, "\t")
		if len(cols) != 5 {
			return nil, fmt.Errorf("%s:%d: want 5 tab-separated columns, got %d", path, n, len(cols))
		}
		code, err := strconv.Atoi(cols[2])
		if err != nil {
			return nil, fmt.Errorf("%s:%d: exit code %q", path, n, cols[2])
		}
		c := caseDef{Name: cols[0], Expect: code, Argv: strings.Fields(cols[4])}
		if cols[1] != "-" {
			c.Stdin = cols[1]
		}
		if cols[3] != "-" {
			c.Env = strings.Fields(cols[3])
		}
		if len(c.Argv) == 0 {
			return nil, fmt.Errorf("%s:%d: no command", path, n)
		}
		out = append(out, c)
	}
	return out, sc.Err()
}

// runOnce times one process from fork to reaping, in milliseconds.
func runOnce(c caseDef, env []string, devnull *os.File) (float64, int64, error) {
	cmd := exec.Command(c.Argv[0], c.Argv[1:]...)
	cmd.Env = append(append([]string(nil), env...), c.Env...)
	cmd.Stdout, cmd.Stderr = devnull, devnull
	if c.Stdin != "" {
		in, err := os.Open(c.Stdin)
		if err != nil {
			return 0, 0, err
		}
		defer in.Close()
		cmd.Stdin = in
	}
	start := time.Now()
	err := cmd.Run()
	elapsed := time.Since(start)
	code := 0
	if err != nil {
		ee, ok := err.(*exec.ExitError)
		if !ok {
			return 0, 0, err
		}
		code = ee.ExitCode()
	}
	if code != c.Expect {
		return 0, 0, fmt.Errorf("exit code %d, want %d (%s)", code, c.Expect, strings.Join(c.Argv, " "))
	}
	var rss int64
	if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
		rss = ru.Maxrss
	}
	return float64(elapsed.Microseconds()) / 1000, rss, nil
}

func summarise(r *result) {
	s := append([]float64(nil), r.Samples...)
	sort.Float64s(s)
	n := len(s)
	if n == 0 {
		return
	}
	if n%2 == 1 {
		r.Median = s[n/2]
	} else {
		r.Median = (s[n/2-1] + s[n/2]) / 2
	}
	r.Min, r.Max = s[0], s[n-1]
	var sum float64
	for _, v := range s {
		sum += v
	}
	r.Mean = sum / float64(n)
}

var targetRE = regexp.MustCompile(`^([\w.-]+)(?:/([\w.-]+))?\s*(<=|<)\s*([0-9.]+)(ms)?$`)

func parseTarget(spec string) (target, error) {
	m := targetRE.FindStringSubmatch(spec)
	if m == nil {
		return target{}, fmt.Errorf("target %q: want A/B<=0.5 or A<100ms", spec)
	}
	limit, err := strconv.ParseFloat(m[4], 64)
	if err != nil {
		return target{}, fmt.Errorf("target %q: %v", spec, err)
	}
	t := target{Spec: spec, A: m[1], B: m[2], Op: m[3], Limit: limit, Ms: m[5] != ""}
	if (t.B == "") != t.Ms {
		return target{}, fmt.Errorf("target %q: a ratio has no unit, a time is in ms", spec)
	}
	return t, nil
}

func evaluate(t *target, by map[string]*result) {
	a, ok := by[t.A]
	if !ok {
		t.Absent = true
		return
	}
	if t.B == "" {
		t.Value = a.Median
	} else {
		b, ok := by[t.B]
		if !ok || b.Median == 0 {
			t.Absent = true
			return
		}
		t.Value = a.Median / b.Median
	}
	if t.Op == "<" {
		t.Met = t.Value < t.Limit
	} else {
		t.Met = t.Value <= t.Limit
	}
}

func markdown(results []*result, tgts []target, rounds, warmup int) string {
	var b strings.Builder
	fmt.Fprintf(&b, "Wall time of one process (fork to exit), %d timed runs per case after %d warm-up runs, cases interleaved.\n\n", rounds, warmup)
	b.WriteString("| case | median ms | min ms | max ms | mean ms | max RSS MiB |\n|---|---:|---:|---:|---:|---:|\n")
	for _, r := range results {
		fmt.Fprintf(&b, "| `%s` | %.2f | %.2f | %.2f | %.2f | %.1f |\n", r.Name, r.Median, r.Min, r.Max, r.Mean, float64(r.MaxRSSKB)/1024)
	}
	if len(tgts) > 0 {
		b.WriteString("\n| target | measured | met |\n|---|---:|---|\n")
		for _, t := range tgts {
			switch {
			case t.Absent:
				fmt.Fprintf(&b, "| `%s` | not measured | - |\n", t.Spec)
			case t.Ms:
				fmt.Fprintf(&b, "| `%s` | %.2f ms | %s |\n", t.Spec, t.Value, yes(t.Met))
			default:
				fmt.Fprintf(&b, "| `%s` | %.3fx | %s |\n", t.Spec, t.Value, yes(t.Met))
			}
		}
	}
	return b.String()
}

func yes(ok bool) string {
	if ok {
		return "yes"
	}
	return "**no**"
}
