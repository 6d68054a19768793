package graph

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/cloud"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"
	kauth "github.com/microsoft/kiota-authentication-azure-go"
	khttp "github.com/microsoft/kiota-http-go"
	msgraph "github.com/microsoftgraph/msgraph-sdk-go"
	msgraphcore "github.com/microsoftgraph/msgraph-sdk-go-core"
	"github.com/microsoftgraph/msgraph-sdk-go/models"
	"github.com/microsoftgraph/msgraph-sdk-go/models/odataerrors"
	"github.com/microsoftgraph/msgraph-sdk-go/users"

	"github.com/migrate-tool/migrate/target/graphemu"
)

const sourceKeyID = "String {00020329-0000-0000-C000-000000000046} Name SourceKey"

// TestSDKAgainstEmulator proves that msgraph-sdk-go with azidentity client
// credentials authenticates against the emulator over HTTPS (custom
// authority host, no instance discovery, the emulator's CA trusted) and
// creates a folder and a non-draft message with its original dates.
func TestSDKAgainstEmulator(t *testing.T) {
	const (
		tenant, clientID, secret = "contoso.test", "11111111-2222-3333-4444-555555555555", "sdk-test-secret"
		upn                      = "alice@contoso.test"
	)
	ep := graphemu.StartForTest(t, &graphemu.Options{Tenant: tenant, ClientID: clientID, ClientSecret: secret, Users: []string{upn}})
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()

	caPEM, err := os.ReadFile(ep.CAFile)
	if err != nil {
		t.Fatalf("ReadFile(CA) = %v", err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(caPEM) {
		t.Fatal("the emulator's CA file holds no certificate")
	}
	transport := &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}}

	cred, err := azidentity.NewClientSecretCredential(tenant, clientID, secret, &azidentity.ClientSecretCredentialOptions{
		ClientOptions: azcore.ClientOptions{
			Cloud:     cloud.Configuration{ActiveDirectoryAuthorityHost: ep.AuthorityHost},
			Transport: &http.Client{Transport: transport},
		},
		DisableInstanceDiscovery: true,
	})
	if err != nil {
		t.Fatalf("NewClientSecretCredential() = %v", err)
	}
	auth, err := kauth.NewAzureIdentityAuthenticationProviderWithScopesAndValidHosts(cred,
		[]string{"https://graph.microsoft.com/.default"}, []string{"127.0.0.1"})
	if err != nil {
		t.Fatalf("NewAzureIdentityAuthenticationProvider() = %v", err)
	}
	// The SDK's middleware pipeline over a transport trusting the CA.
	middleware := msgraphcore.GetDefaultMiddlewaresWithOptions(&msgraphcore.GraphClientOptions{GraphServiceVersion: "v1.0", GraphServiceLibraryVersion: "1.89.0"})
	httpClient := &http.Client{Transport: khttp.NewCustomTransportWithParentTransport(transport, middleware...), Timeout: time.Minute}
	adapter, err := msgraph.NewGraphRequestAdapterWithParseNodeFactoryAndSerializationWriterFactoryAndHttpClient(auth, nil, nil, httpClient)
	if err != nil {
		t.Fatalf("NewGraphRequestAdapter() = %v", err)
	}
	adapter.SetBaseUrl(ep.GraphURL)
	client := msgraph.NewGraphServiceClient(adapter)

	folder := models.NewMailFolder()
	folder.SetDisplayName(ptr("Imported"))
	created, err := client.Users().ByUserId(upn).MailFolders().Post(ctx, folder, nil)
	if err != nil {
		t.Fatalf("MailFolders().Post() = %v", describe(err))
	}
	if created.GetId() == nil || *created.GetDisplayName() != "Imported" {
		t.Fatalf("created folder = %+v", created)
	}

	received := time.Date(2018, 6, 7, 8, 9, 10, 0, time.UTC)
	sent := received.Add(-3 * time.Minute)
	msg := models.NewMessage()
	msg.SetSubject(ptr("Original message"))
	body := models.NewItemBody()
	html := models.HTML_BODYTYPE
	body.SetContentType(&html)
	body.SetContent(ptr("<p>Hello from 2018</p>"))
	msg.SetBody(body)
	var props []models.SingleValueLegacyExtendedPropertyable
	for id, v := range map[string]string{
		"Integer 0x0E07":    "1", // PidTagMessageFlags: read, not MSGFLAG_UNSENT
		"SystemTime 0x0E06": received.Format(time.RFC3339),
		"SystemTime 0x0039": sent.Format(time.RFC3339),
		sourceKeyID:         "imap:INBOX:7:1",
	} {
		p := models.NewSingleValueLegacyExtendedProperty()
		p.SetId(ptr(id))
		p.SetValue(ptr(v))
		props = append(props, p)
	}
	msg.SetSingleValueExtendedProperties(props)
	m, err := client.Users().ByUserId(upn).MailFolders().ByMailFolderId(*created.GetId()).Messages().Post(ctx, msg, nil)
	if err != nil {
		t.Fatalf("Messages().Post() = %v", describe(err))
	}
	if m.GetIsDraft() == nil || *m.GetIsDraft() {
		t.Errorf("isDraft = %v, want false", m.GetIsDraft())
	}
	if got := m.GetReceivedDateTime(); got == nil || !got.Equal(received) {
		t.Errorf("receivedDateTime = %v, want %v", got, received)
	}
	if got := m.GetSentDateTime(); got == nil || !got.Equal(sent) {
		t.Errorf("sentDateTime = %v, want %v", got, sent)
	}

	// Reconcile by source key, as the migration does.
	filter := fmt.Sprintf("singleValueExtendedProperties/Any(ep: ep/id eq '%s' and ep/value eq '%s')", sourceKeyID, "imap:INBOX:7:1")
	found, err := client.Users().ByUserId(upn).MailFolders().ByMailFolderId(*created.GetId()).Messages().Get(ctx,
		&users.ItemMailFoldersItemMessagesRequestBuilderGetRequestConfiguration{
			QueryParameters: &users.ItemMailFoldersItemMessagesRequestBuilderGetQueryParameters{
				Filter: &filter,
				Select: []string{"id", "subject"},
				Expand: []string{fmt.Sprintf("singleValueExtendedProperties($filter=id eq '%s')", sourceKeyID)},
			},
		})
	if err != nil {
		t.Fatalf("Messages().Get($filter) = %v", describe(err))
	}
	if v := found.GetValue(); len(v) != 1 || *v[0].GetId() != *m.GetId() || len(v[0].GetSingleValueExtendedProperties()) != 1 {
		t.Errorf("lookup by source key found %d messages", len(v))
	}

	// The inspection API sees the same message, not a draft, with its dates.
	resp, err := ep.HTTPClient().Get(ep.BaseURL + "/_emulator/mailboxes/" + upn)
	if err != nil {
		t.Fatalf("inspection: %v", err)
	}
	defer resp.Body.Close()
	var dump graphemu.DumpMailbox
	if err := json.NewDecoder(resp.Body).Decode(&dump); err != nil {
		t.Fatalf("inspection: %v", err)
	}
	var item *graphemu.DumpItem
	for _, f := range dump.Folders {
		for i := range f.Items {
			if f.Items[i].ID == *m.GetId() {
				if f.Path != "Imported" {
					t.Errorf("message in folder %q, want Imported", f.Path)
				}
				item = &f.Items[i]
			}
		}
	}
	if item == nil {
		t.Fatalf("message %s not in the inspection dump", *m.GetId())
	}
	if item.IsDraft || !item.IsRead || item.ReceivedDateTime != "2018-06-07T08:09:10Z" || item.SentDateTime != "2018-06-07T08:06:10Z" {
		t.Errorf("inspected message: draft=%v read=%v received=%s sent=%s", item.IsDraft, item.IsRead, item.ReceivedDateTime, item.SentDateTime)
	}
}

func describe(err error) string {
	var oe *odataerrors.ODataError
	if errors.As(err, &oe) && oe.GetErrorEscaped() != nil {
		e := oe.GetErrorEscaped()
		return fmt.Sprintf("%v: %s %s", err, deref(e.GetCode()), deref(e.GetMessage()))
	}
	return err.Error()
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

func ptr[T any](v T) *T { return &v }
