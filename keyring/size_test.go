package keyring

import (
	"encoding/base64"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/cnoe-io/docker-credential-idpbuilder/internal/clusterid"
)

// The platforms' item limits, from go-keyring v0.2.8: Windows' Credential
// Manager takes 2,560 bytes (keyring_windows.go, Set); macOS's `security -i`
// takes a 4,096-byte command line holding the item base64-encoded
// (keyring_darwin.go, Set). Larger writes fail with ErrSetDataTooBig and
// every push would read the cluster.
const (
	windowsItemLimit  = 2560
	macOSCommandLimit = 4096
)

// A full entry, as large as a user makes one: a cluster answer with a
// 40-character password, a login, two git users, a kubeconfig list of
// three files under a long home folder.
func bigEntry() Entry {
	fp := strings.Repeat("f", 64)
	at := time.Date(2026, 12, 4, 13, 0, 0, 123456789, time.UTC)
	home := `C:\Users\a.rather.long.user.name\AppData\Roaming`
	var files []clusterid.Stamp
	for _, f := range []string{`\.kube\config`, `\.kube\kind-localdev.yaml`, `\.kube\another-cluster.yaml`} {
		files = append(files, clusterid.Stamp{Path: home + f, Size: 123456, MTime: at.UnixNano(), CTime: at.UnixNano(), Inode: 1 << 40})
	}
	pw := strings.Repeat("p", 40)
	cred := Credential{Username: "giteaAdmin", Secret: pw, Fingerprint: fp, StoredAt: at}
	return Entry{Username: "giteaAdmin", Secret: pw, Fingerprint: fp, FetchedAt: at, Login: &cred,
		Users: map[string]Credential{"alice": cred, "bob-the-builder": cred},
		Cluster: &clusterid.ID{Context: "kind-localdev", Server: "https://127.0.0.1:40123", Fingerprint: fp, Loopback: "127.0.0.1:40123",
			Inputs: clusterid.Inputs("", "kind-localdev", func(k string) string {
				return map[string]string{"KUBECONFIG": files[0].Path + ";" + files[1].Path + ";" + files[2].Path, "USERPROFILE": home}[k]
			}),
			Files: files, At: at}}
}

func TestAFullEntryFitsEveryPlatformsKeyring(t *testing.T) {
	data, err := json.Marshal(bigEntry())
	if err != nil {
		t.Fatal(err)
	}
	mac := len("add-generic-password -U -s '"+Service+"' -a 'gitea.cnoe.localtest.me:8443' -w 'go-keyring-base64:") + base64.StdEncoding.EncodedLen(len(data)) + len("'\n")
	t.Logf("FIGURE a full entry: %d bytes (Windows limit %d); macOS command %d bytes (limit %d)", len(data), windowsItemLimit, mac, macOSCommandLimit)
	if len(data) > windowsItemLimit || mac > macOSCommandLimit {
		t.Errorf("a full entry does not fit: %d bytes, macOS command %d", len(data), mac)
	}
}
