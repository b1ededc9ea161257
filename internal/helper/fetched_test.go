package helper

import (
	"os"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"github.com/cnoe-io/docker-credential-idpbuilder/internal/fakes"
	"github.com/cnoe-io/docker-credential-idpbuilder/internal/fetchtime"
	"github.com/cnoe-io/docker-credential-idpbuilder/internal/idpbuilder"
	"github.com/cnoe-io/docker-credential-idpbuilder/keyring"
)

// withFetchTimes gives h a real fetch-time store in a fresh 0700 folder
// and a lock that is always had, as a lone get has it.
func withFetchTimes(t *testing.T, h *Helper) *fetchtime.Store {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "state")
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	s := fetchtime.New(dir)
	h.Fetched = s
	h.Lock = func(string, time.Duration) func() { return func() {} }
	return s
}

// A read of the cluster that finds the answer the keyring holds writes the
// fetch time only; any change to what the entry holds writes the keyring,
// once, and the rest of the entry stays.
func TestCacheWritesOnlyWhatChanged(t *testing.T) {
	login := &keyring.Credential{Username: "me", Secret: "mine", Fingerprint: "fp1", StoredAt: now.Add(-48 * time.Hour)}
	users := map[string]keyring.Credential{"alice": {Username: "alice", Secret: "alice-pw", Fingerprint: "fp1"}}
	stale := keyring.Entry{Username: "giteaAdmin", Secret: "pw", Fingerprint: "fp1", FetchedAt: now.Add(-10 * time.Minute), Revision: "r1"}
	with := func(change func(*keyring.Entry)) keyring.Entry { e := stale.Clone(); change(&e); return e }
	tests := []struct {
		name    string
		entry   keyring.Entry
		cluster idpbuilder.Credentials
		fp      string
		refresh bool // Refresh instead of Get (a login answers a get unread)
		// noRecord makes the record impossible to write (a folder there).
		noRecord  bool
		wantPuts  int
		wantKept  bool // the entry's revision and FetchedAt are unchanged
		wantLogin bool
	}{
		{name: "unchanged: no keyring write, fetch time advances", entry: stale, wantKept: true},
		{name: "unchanged with git users", entry: with(func(e *keyring.Entry) { e.Users = users }), wantKept: true},
		{name: "unchanged, refresh with a login of this cluster", entry: with(func(e *keyring.Entry) { e.Login = login }), refresh: true, wantKept: true, wantLogin: true},
		{name: "password changed: one write", entry: stale, cluster: idpbuilder.Credentials{Username: "giteaAdmin", Password: "new"}, wantPuts: 1},
		{name: "user name changed: one write", entry: stale, cluster: idpbuilder.Credentials{Username: "GiteaAdmin", Password: "pw"}, wantPuts: 1},
		{name: "cluster recreated, same password: one write", entry: stale, fp: "fp2", wantPuts: 1},
		{name: "password changed, login kept", entry: with(func(e *keyring.Entry) { e.Login = login }), cluster: idpbuilder.Credentials{Username: "giteaAdmin", Password: "new"}, refresh: true, wantPuts: 1, wantLogin: true},
		{name: "entry of an older version (no revision): one write", entry: with(func(e *keyring.Entry) { e.Revision = "" }), wantPuts: 1},
		{name: "no cluster answer yet, git users only: one write", entry: keyring.Entry{Users: users}, wantPuts: 1},
		{name: "record cannot be written: the keyring is, as before", entry: stale, noRecord: true, wantPuts: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cache := fakes.NewCache()
			cache.Entries[host] = tt.entry.Clone()
			creds := tt.cluster
			if creds.Username == "" {
				creds = idpbuilder.Credentials{Username: "giteaAdmin", Password: "pw"}
			}
			fp := tt.fp
			if fp == "" {
				fp = "fp1"
			}
			kc := &fakes.Cluster{FP: fp, Creds: creds}
			h := newTestHelper(cache, kc)
			store := withFetchTimes(t, h)
			if tt.noRecord {
				if err := os.Mkdir(store.Path(host), 0o700); err != nil {
					t.Fatal(err)
				}
			}

			if tt.refresh {
				res, err := h.Refresh(host)
				if err != nil || !res.Cached {
					t.Fatalf("Refresh = %+v, %v", res, err)
				}
			} else if _, s, err := h.Get(host); err != nil || s != creds.Password {
				t.Fatalf("Get = %q, %v", s, err)
			}
			if kc.Reads() != 1 {
				t.Fatalf("cluster reads = %d, want 1", kc.Reads())
			}
			if cache.Puts != tt.wantPuts || cache.Deletes != 0 {
				t.Errorf("keyring writes = %d, deletes %d; want %d, 0", cache.Puts, cache.Deletes, tt.wantPuts)
			}
			// The known extra read is gone: the entry read under the lock
			// is the one written over.
			if cache.Gets != 2 {
				t.Errorf("keyring reads = %d, want 2 (the get's, then under the lock)", cache.Gets)
			}
			got, _ := cache.Entry(host)
			if got.Username != creds.Username || got.Secret != creds.Password || got.Fingerprint != fp {
				t.Errorf("entry holds %s/%s of %s; want the cluster's answer", got.Username, got.Secret, got.Fingerprint)
			}
			if tt.wantKept != (got.Revision == tt.entry.Revision && got.FetchedAt.Equal(tt.entry.FetchedAt)) {
				t.Errorf("entry revision %q fetched %s (was %q, %s); want kept %v", got.Revision, got.FetchedAt, tt.entry.Revision, tt.entry.FetchedAt, tt.wantKept)
			}
			if !tt.wantKept && (got.Revision == "" || !got.FetchedAt.Equal(now)) {
				t.Errorf("a rewritten entry has revision %q, fetched %s; want a new revision, now", got.Revision, got.FetchedAt)
			}
			if (got.Login != nil) != tt.wantLogin || len(got.Users) != len(tt.entry.Users) {
				t.Errorf("login %+v, users %v; want the login kept %v and the users kept", got.Login, got.Users, tt.wantLogin)
			}
			r, err := store.Get(host)
			if tt.wantKept {
				if err != nil || !r.FetchedAt.Equal(now) || r.Revision != got.Revision || r.Fingerprint != fp {
					t.Fatalf("record = %+v, %v; want fetched now for revision %q", r, err, got.Revision)
				}
				if tt.wantLogin {
					return // the login answers gets, with no read
				}
				// Four minutes later the entry, ten minutes old in the
				// keyring, is fresh by its record: a hit.
				h.Now = func() time.Time { return now.Add(4 * time.Minute) }
				if _, _, err := h.Get(host); err != nil || kc.Reads() != 1 {
					t.Fatalf("get 4 minutes after the refresh: %v, %d reads; want a hit", err, kc.Reads())
				}
				h.Now = func() time.Time { return now.Add(6 * time.Minute) }
				if _, _, err := h.Get(host); err != nil || kc.Reads() != 2 {
					t.Fatalf("get 6 minutes after the refresh: %v, %d reads; want a read", err, kc.Reads())
				}
			} else if err == nil && r.Revision == got.Revision {
				t.Errorf("a record names the rewritten entry's revision: %+v", r)
			}
		})
	}
}

// The record can only extend the life of the answer it names: whatever is
// wrong with it (missing, corrupt, a link, another answer's, from the
// future) leaves the entry as old as the keyring says, and never stops the
// stale fallback the entry's own age allows.
func TestABadRecordMeansStale(t *testing.T) {
	entry := keyring.Entry{Username: "giteaAdmin", Secret: "cached", Fingerprint: "fp1", FetchedAt: now.Add(-10 * time.Minute), Revision: "r1"}
	good := fetchtime.Record{Fingerprint: "fp1", Revision: "r1", FetchedAt: now.Add(-time.Minute)}
	writeRecord := func(r fetchtime.Record) func(*testing.T, *fetchtime.Store, string) {
		return func(t *testing.T, s *fetchtime.Store, _ string) {
			if err := s.Put(host, r); err != nil {
				t.Fatal(err)
			}
		}
	}
	rawFile := func(data string, perm os.FileMode) func(*testing.T, *fetchtime.Store, string) {
		return func(t *testing.T, s *fetchtime.Store, _ string) {
			if err := os.WriteFile(s.Path(host), []byte(data), perm); err != nil {
				t.Fatal(err)
			}
			if err := os.Chmod(s.Path(host), perm); err != nil {
				t.Fatal(err)
			}
		}
	}
	with := func(change func(*fetchtime.Record)) fetchtime.Record { r := good; change(&r); return r }
	tests := []struct {
		name  string
		unix  bool
		root  bool
		setup func(t *testing.T, s *fetchtime.Store, outside string)
		fresh bool
	}{
		{name: "a good record: fresh", setup: writeRecord(good), fresh: true},
		{name: "missing", setup: func(*testing.T, *fetchtime.Store, string) {}},
		{name: "corrupt", setup: rawFile(`{"fingerprint":"fp1","revision":"r1","fetchedAt":"yesterday"}`, 0o600)},
		{name: "truncated", setup: rawFile(`{"fingerprint":"fp1","rev`, 0o600)},
		{name: "of another revision", setup: writeRecord(with(func(r *fetchtime.Record) { r.Revision = "r0" }))},
		{name: "of another cluster", setup: writeRecord(with(func(r *fetchtime.Record) { r.Fingerprint = "fp0" }))},
		{name: "from the future", setup: writeRecord(with(func(r *fetchtime.Record) { r.FetchedAt = now.Add(time.Hour) }))},
		{name: "older than the entry", setup: writeRecord(with(func(r *fetchtime.Record) { r.FetchedAt = now.Add(-time.Hour) }))},
		{name: "writable by others", unix: true, setup: func(t *testing.T, s *fetchtime.Store, o string) {
			writeRecord(good)(t, s, o)
			if err := os.Chmod(s.Path(host), 0o666); err != nil {
				t.Fatal(err)
			}
		}},
		{name: "a symbolic link to a good record", unix: true, setup: func(t *testing.T, s *fetchtime.Store, outside string) {
			other := fetchtime.New(outside)
			writeRecord(good)(t, other, outside)
			if err := os.Symlink(other.Path(host), s.Path(host)); err != nil {
				t.Fatal(err)
			}
		}},
		{name: "another user's", unix: true, root: true, setup: func(t *testing.T, s *fetchtime.Store, o string) {
			writeRecord(good)(t, s, o)
			if err := os.Chown(s.Path(host), 65534, 65534); err != nil {
				t.Fatal(err)
			}
		}},
	}
	for _, tt := range tests {
		for _, down := range []bool{false, true} {
			name := tt.name
			if down {
				name += ", cluster down"
			}
			t.Run(name, func(t *testing.T) {
				if tt.unix && runtime.GOOS == "windows" {
					t.Skip("Unix file checks")
				}
				if tt.root && os.Getuid() != 0 {
					t.Skip("needs root to give a file to another user")
				}
				cache := fakes.NewCache()
				cache.Entries[host] = entry.Clone()
				kc := &fakes.Cluster{FP: "fp1", Creds: idpbuilder.Credentials{Username: "giteaAdmin", Password: "cached"}}
				if down {
					kc.SecretErr = errDown
				}
				h := newTestHelper(cache, kc)
				store := withFetchTimes(t, h)
				tt.setup(t, store, filepath.Join(t.TempDir(), "outside"))
				debug := debugTo(h)

				_, s, err := h.Get(host)
				// Fresh or not, the answer is the entry's: read again, or
				// served stale (ten minutes is under the 24 h limit).
				if err != nil || s != "cached" {
					t.Fatalf("Get = %q, %v", s, err)
				}
				if wantReads := map[bool]int{true: 0, false: 1}[tt.fresh]; kc.Reads() != wantReads {
					t.Fatalf("cluster reads = %d, want %d (fresh %v)\n%s", kc.Reads(), wantReads, tt.fresh, debug)
				}
			})
		}
	}
}

// Stale fallback counts from the last confirmation: an answer written 25 h
// ago but confirmed an hour ago by its record is served while the cluster
// is down; a record of another answer does not make it servable.
func TestStaleFallbackCountsFromTheRecord(t *testing.T) {
	entry := keyring.Entry{Username: "giteaAdmin", Secret: "cached", Fingerprint: "fp1", FetchedAt: now.Add(-25 * time.Hour), Revision: "r1"}
	for _, tt := range []struct {
		revision string
		wantErr  bool
	}{{"r1", false}, {"r0", true}} {
		t.Run("record of revision "+tt.revision, func(t *testing.T) {
			cache := fakes.NewCache()
			cache.Entries[host] = entry.Clone()
			kc := &fakes.Cluster{FP: "fp1", SecretErr: errDown}
			h := newTestHelper(cache, kc)
			store := withFetchTimes(t, h)
			if err := store.Put(host, fetchtime.Record{Fingerprint: "fp1", Revision: tt.revision, FetchedAt: now.Add(-time.Hour)}); err != nil {
				t.Fatal(err)
			}
			_, s, err := h.Get(host)
			if (err != nil) != tt.wantErr || (!tt.wantErr && s != "cached") {
				t.Fatalf("Get = %q, %v; want error %v", s, err, tt.wantErr)
			}
		})
	}
}
