package specjson

import (
	"encoding/json"
	"reflect"
	"testing"

	"github.com/opencontainers/runtime-spec/specs-go"
)

const linuxConfig = `{
	"ociVersion": "1.0.2",
	"process": {"args": ["sh"], "env": ["A=1"], "cwd": "/", "user": {"uid": 1, "gid": 2, "additionalGids": [3]},
		"capabilities": {"bounding": ["CAP_CHOWN"]}, "rlimits": [{"type": "RLIMIT_NOFILE", "hard": 10, "soft": 5}]},
	"root": {"path": "rootfs", "readonly": true},
	"hostname": "h",
	"mounts": [{"destination": "/proc", "type": "proc", "source": "proc", "options": ["nosuid"]}],
	"hooks": {"poststop": [{"path": "/bin/true", "args": ["true"], "timeout": 3}]},
	"annotations": {"a": "b"},
	"linux": {"namespaces": [{"type": "pid"}, {"type": "network", "path": "/proc/1/ns/net"}],
		"resources": {"memory": {"limit": 4194304}, "devices": [{"allow": false, "access": "rwm"}], "pids": {"limit": 10}},
		"seccomp": {"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [{"names": ["read"], "action": "SCMP_ACT_ALLOW"}]},
		"maskedPaths": ["/proc/kcore"], "sysctl": {"net.ipv4.ip_forward": "1"}, "cgroupsPath": "/x"},
	"unknownField": 1
}`

// Unmarshal gives what json.Unmarshal into specs.Spec gives, for a Linux
// config, and Of encodes back to the same JSON.
func TestSameAsEncodingJSON(t *testing.T) {
	var want, got specs.Spec
	if err := json.Unmarshal([]byte(linuxConfig), &want); err != nil {
		t.Fatal(err)
	}
	if err := Unmarshal([]byte(linuxConfig), &got); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(&want, &got) {
		t.Fatalf("decoded differently:\n want %+v\n got  %+v", want, got)
	}
	a, err := json.Marshal(&want)
	if err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(Of(&got))
	if err != nil {
		t.Fatal(err)
	}
	if string(a) != string(b) {
		t.Fatalf("encoded differently:\n want %s\n got  %s", a, b)
	}
}

// A non-Linux section is present, so the checks refuse it, unless null.
func TestOtherPlatforms(t *testing.T) {
	for _, tc := range []struct {
		json string
		set  func(*specs.Spec) bool
	}{
		{`{"windows": {"layerFolders": 5}}`, func(s *specs.Spec) bool { return s.Windows != nil }},
		{`{"solaris": {}}`, func(s *specs.Spec) bool { return s.Solaris != nil }},
		{`{"vm": {"hypervisor": {"path": "/x"}}}`, func(s *specs.Spec) bool { return s.VM != nil }},
		{`{"zos": {}}`, func(s *specs.Spec) bool { return s.ZOS != nil }},
	} {
		var s specs.Spec
		if err := Unmarshal([]byte(tc.json), &s); err != nil || !tc.set(&s) {
			t.Errorf("%s: section not kept (err %v)", tc.json, err)
		}
		if Of(&s) != any(&s) {
			t.Errorf("%s: Of drops the section", tc.json)
		}
	}
	var s specs.Spec
	if err := Unmarshal([]byte(`{"windows": null, "vm": null}`), &s); err != nil || s.Windows != nil || s.VM != nil {
		t.Errorf("null sections: %+v, %v", s, err)
	}
	if err := Unmarshal([]byte(`{"process": 5}`), &s); err == nil {
		t.Error("a wrong type decoded")
	}
}
