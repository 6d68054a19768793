// Package graph is the Microsoft Graph target: it implements
// target.Mailbox for Exchange Online mailboxes through msgraph-sdk-go, with
// credentials from azidentity. It is the only package of the module that
// imports either; its tests run against the emulator in target/graphemu.
//
//	c, err := graph.New(ctx, &graph.Config{Tenant: "contoso.onmicrosoft.com",
//		ClientID: "...", ClientSecret: "..."})
//	mb, err := c.Mailbox(ctx, "alice@contoso.com")
//	f, err := mb.EnsureFolder(ctx, target.Inbox, []string{"Projects"})
//	created, err := mb.PutMessage(ctx, f, msg)
//
// # How messages are created, and why
//
// Graph offers three ways to put a message into a mailbox; the JSON one is
// the only one that makes received mail with its original dates:
//
//   - MIME (POST .../messages with base64 MIME, Content-Type text/plain)
//     keeps the MIME structure but always creates a draft ("Create a draft
//     of a new message in either JSON or MIME format",
//     https://learn.microsoft.com/graph/api/user-post-messages), whose
//     received date is the time of creation. A draft's state cannot be
//     fixed later: PidTagMessageFlags is read-only after the first save
//     ([MS-OXCMSG] 2.2.1.6,
//     https://learn.microsoft.com/openspecs/exchange_server_protocols/ms-oxcmsg/a0c52fe2-3014-43a7-942d-f43f6f91c366).
//   - The mailbox import API (https://learn.microsoft.com/graph/import-exchange-mailbox-item,
//     https://learn.microsoft.com/graph/api/mailbox-createimportsession)
//     imports only items exported with exportItems (Exchange's own
//     FastTransfer stream), not MIME.
//   - JSON (POST /users/{id}/mailFolders/{id}/messages,
//     https://learn.microsoft.com/graph/api/mailfolder-post-messages) with
//     singleValueExtendedProperties in the same request
//     (https://learn.microsoft.com/graph/api/resources/extended-properties-overview):
//     PidTagMessageFlags (Integer 0x0E07) without MSGFLAG_UNSENT makes the
//     item received mail, MSGFLAG_READ its read state;
//     PidTagMessageDeliveryTime (SystemTime 0x0E06) and
//     PidTagClientSubmitTime (SystemTime 0x0039) its received and sent
//     dates. This package uses it.
//
// Each message is created with: subject; body (HTML or text, as parsed);
// from, sender, to, cc, bcc and reply-to; internetMessageId; importance;
// isRead; flag (flagged or not); categories; isReadReceiptRequested and
// isDeliveryReceiptRequested false, so an old receipt request never sends a
// receipt when the message is opened; and the MAPI properties above plus
// PidTagTransportMessageHeaders (String 0x007D, the original header block,
// which Outlook shows as the Internet headers: internetMessageHeaders takes
// only a few x- headers), PidTagInReplyToId (String 0x1042) and
// PidTagInternetReferences (String 0x1039) for threading, and for answered
// or forwarded mail PidTagLastVerbExecuted (Integer 0x1081: 102 reply, 104
// forward, [MS-OXOMSG] 2.2.1.41) with PidTagIconIndex (Integer 0x1080:
// 0x105 replied, 0x106 forwarded,
// https://learn.microsoft.com/office/client-developer/outlook/mapi/pidtagiconindex-canonical-property);
// replied wins when both apply, as package mapping decided. Every request
// asks for immutable IDs (Prefer: IdType="ImmutableId",
// https://learn.microsoft.com/graph/outlook-immutable-id), so the IDs the
// engine records survive a user moving items.
//
// # The stamp, and atomic creation
//
// Every created item carries the named extended property StampPropertyID
// ("String {6f1d3c52-8a4e-4b7d-9c2e-5b0a7e9d4f31} Name SourceKey") holding
// its source key and, after a space, its content identity
// (target.Message.ContentID: "sha256:" and the hex SHA-256 of the source
// bytes), so the target itself says what was migrated, and from what:
// Lookup finds an item with $filter=singleValueExtendedProperties/Any(ep:
// ep/id eq '...' and startswith(ep/value, 'KEY')), and Stamps pages
// through a folder with $expand=singleValueExtendedProperties($filter=id
// eq '...'), both forms Microsoft documents
// (https://learn.microsoft.com/graph/api/singlevaluelegacyextendedproperty-get).
// One property holds both so that one documented $expand lists both.
// Graph compares the value without regard to case, so matches are compared
// again exactly (ParseStamp splits a value).
//
// Attachments go into the creation request, smallest first, while the JSON
// stays under Graph's 4 MB request limit (base64 makes them 4/3 larger).
// The others are added afterwards: under 3 MB by POST .../attachments
// (https://learn.microsoft.com/graph/api/message-post-attachments) when
// that request, base64 included, fits in 4 MB; from 3 to 150 MB, and the
// files just under 3 MB whose POST would not fit, through an upload session
// (https://learn.microsoft.com/graph/outlook-large-attachments): PUTs of
// byte ranges in order, 3,276,800 bytes each (under 4 MB, and a multiple
// of 320 KiB), with Content-Range and without the Authorization header,
// streamed from the attachment's reader so that memory does not grow with
// the attachment. While attachments are added the stamp is "pending:" +
// key; it becomes the key only when the last one is in. Lookup and Stamps
// ignore pending items; a failure deletes the partial item (Graph's DELETE
// moves it to Recoverable Items, out of the user's sight), and a pending
// item left by a failure that could not delete it is deleted by the next
// PutMessage of the key. A request that may have taken effect although its
// answer was lost (a network failure or a 5xx on a request that is not
// idempotent) is checked before it is repeated: the created item is found
// by its stamp, an added attachment by the attachment count, a completed
// upload by the attachment count once the session is gone. A range
// refused with 416 (taken by an attempt whose answer was lost) is followed
// by a GET on the upload URL for the next expected byte; Outlook documents
// no such GET, so when it is refused the session is cancelled (DELETE) and
// the attachment uploaded again through a new one.
//
// Whether Exchange accepts attachments added to a message that is not a
// draft is not documented. If the mailbox refuses them (400), the partial
// item is deleted and the message is created again as a draft carrying
// every attachment; Created.Notes says so, nothing is lost, and the
// mailbox's later messages take that way at once. A message too large for
// the mailbox (413 or ErrorMessageSizeExceeded; 35 MB by default, up to 150
// MB) is a *target.ItemError, as are attachments over 150 MB.
//
// # Folders
//
// EnsureFolder walks childFolders from a well-known folder, matching
// display names without regard to case as Exchange does, and creates what
// is missing; a 409 ErrorFolderExists (another worker was first, or a
// hidden folder has the name) lists again, hidden folders included.
// Folder IDs are cached per Mailbox, but nothing depends on the cache.
//
// # Pacing, throttling and retries
//
// Exchange Online throttles per app and mailbox: 10,000 requests per 10
// minutes, 4 concurrent requests and 150 MB of uploads (bodies of POST,
// PATCH and PUT) per 5 minutes
// (https://learn.microsoft.com/graph/throttling-limits#outlook-service-limits).
// Every request of a mailbox, the upload PUTs included, goes through that
// mailbox's pacer: a semaphore of 4 (Config.Concurrency) and token buckets
// for requests and upload bytes sized so that no sliding window exceeds 90%
// of a limit, the rest being left for retries and other tools. A 429 or a
// 503 with Retry-After pauses every request of the mailbox for that long
// (https://learn.microsoft.com/graph/throttling), up to 30 times in a row.
// Server errors (500, 502, 503, 504, 408) and network failures are retried
// 4 times with exponential back-off and full jitter (1 s doubling, at most
// a minute), then returned as *target.RetryError. 401 and 403 are
// target.ErrAuth, naming the setting to check or the permission the app
// needs; 404 is target.ErrNotFound; another 4xx of one item is a
// *target.ItemError with Graph's code and message. Errors name the
// mailbox, folder and source key; secrets, tokens and upload URLs' query
// strings never appear in errors or logs.
//
// The SDK's retry handler is left out of its middleware pipeline: it would
// retry 429 and 5xx on its own, behind the pacer's back, and would repeat
// requests that are not idempotent without checking what the first one
// did. The SDK is otherwise used as shipped (typed request builders, its
// serialization, compression and error parsing).
//
// # Authentication
//
// Config.Auth selects client_secret or certificate (application
// permissions, the client credentials grant), device_code (a user signs
// in; delegated permissions) or token (a pre-issued bearer token, which
// cannot be refreshed: a 401 is ErrAuth naming target.token). azidentity
// caches tokens and renews them before they expire, so long runs keep
// working. The scope is the endpoint's origin + "/.default"; the authority
// host comes from Config.Authority (national clouds, the emulator), with
// instance discovery off for hosts that are not Microsoft's. Config.CAFile
// adds trusted roots (the emulator's CA). The emulator does not model
// certificate assertions or the device code flow: the tests check that a
// certificate is read and sent (the emulator answers AADSTS700027), not
// that it is accepted.
package graph
