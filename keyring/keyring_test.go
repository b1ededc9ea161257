package keyring

import (
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	gokeyring "github.com/zalando/go-keyring"
)

// fakeBackend is an in-memory keyring that can fail or hang.
type fakeBackend struct {
	items map[string]string
	err   error
	hang  chan struct{}
	calls int
}

func (f *fakeBackend) do() error {
	f.calls++
	if f.hang != nil {
		<-f.hang
	}
	return f.err
}

func (f *fakeBackend) Get(service, user string) (string, error) {
	if err := f.do(); err != nil {
		return "", err
	}
	v, ok := f.items[service+"/"+user]
	if !ok {
		return "", gokeyring.ErrNotFound
	}
	return v, nil
}

func (f *fakeBackend) Set(service, user, pw string) error {
	if err := f.do(); err != nil {
		return err
	}
	f.items[service+"/"+user] = pw
	return nil
}

func (f *fakeBackend) Delete(service, user string) error {
	if err := f.do(); err != nil {
		return err
	}
	if _, ok := f.items[service+"/"+user]; !ok {
		return gokeyring.ErrNotFound
	}
	delete(f.items, service+"/"+user)
	return nil
}

func TestRoundTrip(t *testing.T) {
	b := &fakeBackend{items: map[string]string{}}
	c := New(b, time.Second, nil)
	if _, ok, err := c.Get("h:1"); ok || err != nil {
		t.Fatalf("empty Get = %v, %v", ok, err)
	}
	want := Entry{Username: "giteaAdmin", Secret: "pw", Fingerprint: "fp", FetchedAt: time.Unix(1700000000, 0).UTC()}
	if err := c.Put("h:1", want); err != nil {
		t.Fatal(err)
	}
	got, ok, err := c.Get("h:1")
	if err != nil || !ok || !reflect.DeepEqual(got, want) {
		t.Fatalf("Get = %+v, %v, %v; want %+v", got, ok, err, want)
	}
	if _, present := b.items[Service+"/h:1"]; !present {
		t.Fatalf("entry not stored under service %q: %v", Service, b.items)
	}
	if existed, err := c.Delete("h:1"); !existed || err != nil {
		t.Fatalf("Delete = %v, %v", existed, err)
	}
	if existed, err := c.Delete("h:1"); existed || err != nil {
		t.Fatalf("second Delete = %v, %v", existed, err)
	}
}

func TestEntryShapes(t *testing.T) {
	at := time.Unix(1700000000, 0).UTC()
	login := &Credential{Username: "me", Secret: "mine", Fingerprint: "fp", StoredAt: at}
	alice := Credential{Username: "Alice", Secret: "alice-pw", Fingerprint: "fp", StoredAt: at}
	tests := []struct {
		name   string
		raw    string // stored as is, when set
		put    *Entry // else written with Put
		want   Entry
		wantOK bool
	}{
		{name: "cluster, login and users round trip",
			put:  &Entry{Username: "giteaAdmin", Secret: "pw", Fingerprint: "fp", FetchedAt: at, Login: login, Users: map[string]Credential{"alice": alice}},
			want: Entry{Username: "giteaAdmin", Secret: "pw", Fingerprint: "fp", FetchedAt: at, Login: login, Users: map[string]Credential{"alice": alice}}, wantOK: true},
		{name: "only a login is valid", put: &Entry{Login: login}, want: Entry{Login: login}, wantOK: true},
		{name: "only users is valid", put: &Entry{Users: map[string]Credential{"alice": alice}}, want: Entry{Users: map[string]Credential{"alice": alice}}, wantOK: true},
		{name: "an old override is a cluster answer with no fingerprint",
			raw:  `{"username":"me","secret":"mine","fetchedAt":"2023-11-14T22:13:20Z","override":true}`,
			want: Entry{Username: "me", Secret: "mine", FetchedAt: at}, wantOK: true},
		{name: "an old cluster entry", raw: `{"username":"giteaAdmin","secret":"pw","fingerprint":"fp","fetchedAt":"2023-11-14T22:13:20Z"}`,
			want: Entry{Username: "giteaAdmin", Secret: "pw", Fingerprint: "fp", FetchedAt: at}, wantOK: true},
		{name: "nothing in it is a miss", raw: `{}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := &fakeBackend{items: map[string]string{}}
			c := New(b, time.Second, nil)
			if tt.put != nil {
				if err := c.Put("h", *tt.put); err != nil {
					t.Fatal(err)
				}
			} else {
				b.items[Service+"/h"] = tt.raw
			}
			got, ok, err := c.Get("h")
			if err != nil || ok != tt.wantOK || !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("Get = %+v, %v, %v; want %+v, %v", got, ok, err, tt.want, tt.wantOK)
			}
		})
	}
	// A login-only entry writes no empty cluster fields.
	data, _ := json.Marshal(Entry{Login: login})
	if strings.Contains(string(data), "fetchedAt") || strings.Contains(string(data), `"username":""`) {
		t.Fatalf("login-only entry = %s", data)
	}
}

func TestEntryHelpers(t *testing.T) {
	e := Entry{Username: "u", Secret: "s", Fingerprint: "fp", FetchedAt: time.Now(), Login: &Credential{Username: "me"}, Users: map[string]Credential{"alice": {Username: "alice"}}}
	c := e.Clone()
	c.Login.Username, c.Users["alice"] = "changed", Credential{}
	if e.Login.Username != "me" || e.Users["alice"].Username != "alice" {
		t.Fatal("Clone shares the login or the users with the original")
	}
	e.ClearCluster()
	if e.HasCluster() || e.Empty() || e.Secret != "" || e.Fingerprint != "" || !e.FetchedAt.IsZero() {
		t.Fatalf("after ClearCluster: %+v", e)
	}
	e.Login, e.Users = nil, nil
	if !e.Empty() {
		t.Fatal("an entry with nothing left is not Empty")
	}
	if UserKey("Alice") != UserKey("alice") {
		t.Fatal("user keys are case-sensitive")
	}
}

func TestUnreadableEntryIsAMiss(t *testing.T) {
	for _, raw := range []string{"plain-password", `{"secret":"x"}`, "", `{"username":`} {
		b := &fakeBackend{items: map[string]string{Service + "/h": raw}}
		if _, ok, err := New(b, time.Second, nil).Get("h"); ok || err != nil {
			t.Errorf("Get of %q = %v, %v; want a miss", raw, ok, err)
		}
	}
}

func TestFailureTurnsTheCacheOff(t *testing.T) {
	b := &fakeBackend{items: map[string]string{}, err: errors.New("The name org.freedesktop.secrets was not provided by any .service files")}
	var logs []string
	c := New(b, time.Second, func(f string, a ...any) { logs = append(logs, f) })
	for i := 0; i < 3; i++ {
		if _, _, err := c.Get("h"); !errors.Is(err, ErrUnavailable) {
			t.Fatalf("Get error = %v, want ErrUnavailable", err)
		}
	}
	if err := c.Put("h", Entry{Username: "u"}); !errors.Is(err, ErrUnavailable) {
		t.Fatalf("Put error = %v", err)
	}
	if b.calls != 1 {
		t.Fatalf("backend called %d times; a broken keyring must be tried once", b.calls)
	}
	if len(logs) != 1 {
		t.Fatalf("debug lines = %d, want exactly one", len(logs))
	}
}

func TestDeadline(t *testing.T) {
	b := &fakeBackend{items: map[string]string{}, hang: make(chan struct{})}
	defer close(b.hang)
	c := New(b, 50*time.Millisecond, nil)
	start := time.Now()
	_, _, err := c.Get("h")
	if !errors.Is(err, ErrUnavailable) || !strings.Contains(err.Error(), "no answer within 50ms") {
		t.Fatalf("Get error = %v", err)
	}
	if d := time.Since(start); d > time.Second {
		t.Fatalf("Get returned after %s; the deadline was 50ms", d)
	}
}

func TestTooBigIsNotUnavailable(t *testing.T) {
	b := &fakeBackend{items: map[string]string{}, err: gokeyring.ErrSetDataTooBig}
	c := New(b, time.Second, nil)
	err := c.Put("h", Entry{Username: "u"})
	if !errors.Is(err, gokeyring.ErrSetDataTooBig) || errors.Is(err, ErrUnavailable) {
		t.Fatalf("Put error = %v", err)
	}
}

// The go-keyring mock is the same backend the other platforms' code paths
// see; System must pass calls through to it.
func TestSystemUsesGoKeyring(t *testing.T) {
	gokeyring.MockInit()
	t.Setenv("DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent/bus") // System looks for a bus first; the mock never dials it
	c := New(System{}, time.Second, nil)
	if err := c.Put("h", Entry{Username: "u", Secret: "s"}); err != nil {
		t.Fatal(err)
	}
	raw, err := gokeyring.Get(Service, "h")
	if err != nil || !strings.Contains(raw, `"username":"u"`) {
		t.Fatalf("go-keyring holds %q, %v", raw, err)
	}
}
