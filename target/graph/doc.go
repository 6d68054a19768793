// Package graph is the Microsoft Graph target: it creates folders, messages,
// contacts and events in Exchange Online mailboxes through msgraph-sdk-go.
//
// It is the only package in the module that imports msgraph-sdk-go and
// azidentity. Its tests run against the local emulator in target/graphemu.
package graph
