package graphemu

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

// TestDataDirSurvivesRestart starts an emulator on a data directory, makes
// changes, abandons it without closing (as a killed process would) and
// checks that a new emulator on the same directory has everything, that
// tokens and upload URLs issued before still work, and that a torn last
// journal line is ignored.
func TestDataDirSurvivesRestart(t *testing.T) {
	dir := t.TempDir()
	opts := &Options{DataDir: dir, Users: []string{"a@x.test"}, ClientID: "app", ClientSecret: "pw", CAFile: filepath.Join(dir, "ca.pem")}
	e1, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = e1.Close() })
	ctx1, cancel1 := context.WithCancel(context.Background())
	ep1, err := e1.Serve(ctx1, "127.0.0.1:0", true)
	if err != nil {
		t.Fatal(err)
	}
	c := newClient(t, ep1, "app", "pw")
	f := c.do("POST", "/users/a@x.test/mailFolders", map[string]any{"displayName": "Kept"})
	mustStatus(t, f, 201)
	m := c.do("POST", "/users/a@x.test/mailFolders/"+f.str("id")+"/messages", nonDraft("kept", "src-1"))
	mustStatus(t, m, 201)
	mustStatus(t, c.do("POST", "/users/a@x.test/outlook/masterCategories", map[string]any{"displayName": "Kept category", "color": "preset3"}), 201)
	d := c.do("POST", "/users/a@x.test/messages", map[string]any{"subject": "draft with upload"})
	data := payload(4<<20 + 7)
	s := c.do("POST", "/users/a@x.test/messages/"+d.str("id")+"/attachments/createUploadSession",
		map[string]any{"AttachmentItem": map[string]any{"attachmentType": "file", "name": "big", "size": len(data)}})
	mustStatus(t, s, 201)
	up := newClient(t, ep1, "", "")
	mustStatus(t, up.do("PUT", s.str("uploadUrl"), data[:2<<20], "Content-Range", fmt.Sprintf("bytes 0-%d/%d", 2<<20-1, len(data))), 200)
	token := c.token
	ca1, err := os.ReadFile(opts.CAFile)
	if err != nil {
		t.Fatal(err)
	}
	cancel1()
	ep1.Close()
	// No e1.Close(): the process "dies" here. Tear the journal's tail.
	jf, err := os.OpenFile(filepath.Join(dir, "journal.jsonl"), os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	_, _ = jf.WriteString(`{"op":"item","item":{"id":"torn`)
	jf.Close()

	e2, err := New(opts)
	if err != nil {
		t.Fatalf("New after restart = %v", err)
	}
	ctx2, cancel2 := context.WithCancel(context.Background())
	defer cancel2()
	ep2, err := e2.Serve(ctx2, "127.0.0.1:0", true)
	if err != nil {
		t.Fatal(err)
	}
	defer ep2.Close()
	defer e2.Close()
	if ca2, err := os.ReadFile(opts.CAFile); err != nil || !bytes.Equal(ca1, ca2) {
		t.Errorf("CA after restart differs from the one clients trust (read error %v)", err)
	}
	c2 := newClient(t, ep2, "", "")
	c2.token = token // issued by the first process
	r := c2.do("GET", "/users/a@x.test/mailFolders/"+f.str("id")+"/messages/"+m.str("id"), nil)
	mustStatus(t, r, 200)
	if r.JSON["isDraft"] != false || r.str("receivedDateTime") != "2019-03-04T05:06:07Z" {
		t.Errorf("message after restart = %s", r.Body)
	}
	mustStatus(t, c2.do("GET", "/users/a@x.test/mailFolders/inbox", nil), 200)
	checkGraphError(t, c2.do("POST", "/users/a@x.test/mailFolders", map[string]any{"displayName": "Kept"}), 409, "ErrorFolderExists")
	checkGraphError(t, c2.do("POST", "/users/a@x.test/outlook/masterCategories", map[string]any{"displayName": "kept CATEGORY"}), 409, "nameAlreadyExists")

	// The upload resumes on the new port: same session, same token.
	uploadURL := s.str("uploadUrl")
	uploadURL = ep2.BaseURL[:len("https://")] + "localhost" + ep2.BaseURL[len("https://127.0.0.1"):] + uploadURL[len(ep1.BaseURL):]
	up2 := newClient(t, ep2, "", "")
	r = up2.do("PUT", uploadURL, data[2<<20:], "Content-Range", fmt.Sprintf("bytes %d-%d/%d", 2<<20, len(data)-1, len(data)))
	mustStatus(t, r, 201)
	r = c2.do("GET", "/users/a@x.test/messages/"+d.str("id")+"/attachments", nil)
	atts, _ := r.JSON["value"].([]any)
	if len(atts) != 1 {
		t.Fatalf("attachments after resumed upload = %s", r.Body)
	}
	aid := atts[0].(map[string]any)["id"].(string)
	got := c2.do("GET", "/users/a@x.test/messages/"+d.str("id")+"/attachments/"+aid+"/$value", nil)
	if !bytes.Equal(got.Body, data) {
		t.Errorf("resumed upload bytes differ (%d vs %d)", len(got.Body), len(data))
	}

	// Reset empties the tenant, durably.
	resp, err := ep2.HTTPClient().Post(ep2.BaseURL+"/_emulator/reset", "application/json", nil)
	if err != nil || resp.StatusCode != 204 {
		t.Fatalf("reset = %v %v", resp, err)
	}
	resp.Body.Close()
	checkGraphError(t, c2.do("GET", "/users/a@x.test/mailFolders/"+f.str("id"), nil), 404, "ErrorItemNotFound")
	mustStatus(t, c2.do("GET", "/users/a@x.test/mailFolders/inbox", nil), 200)
	if got := e2.MasterCategories("a@x.test"); len(got) != 0 {
		t.Errorf("master categories after reset = %q", got)
	}
}
