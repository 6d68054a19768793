#!/bin/sh
# Writes testdata/stores/applemail: a hand-made Apple Mail store (see
# README.md beside this script). Run from the repository root; it replaces
# the tree.
set -eu
root=testdata/stores/applemail
rm -rf "$root"
acct="$root/V10/3F2504E0-4F89-41D3-9A0C-0305E82C3301"
box=8D4C1A22-6B7E-4C0B-9E51-2C7A9B0F1D11 # the per-mailbox UUID directory
mkdir -p "$root/V10/MailData"
printf 'stand-in for the SQLite index Mail keeps here\n' >"$root/V10/MailData/Envelope Index"

# emlx FILE FLAGS DATE-RECEIVED: the message on standard input (LF line
# ends, as Mail writes them), a byte count line padded as Mail pads it, the
# message, an XML plist; DATE-RECEIVED "" leaves date-received out.
emlx() {
	mkdir -p "$(dirname "$1")"
	msg=$(mktemp)
	cat >"$msg"
	{
		printf '%-10s\n' "$(wc -c <"$msg" | tr -d ' ')"
		cat "$msg"
		printf '<?xml version="1.0" encoding="UTF-8"?>\n'
		printf '<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">\n'
		printf '<plist version="1.0">\n<dict>\n'
		printf '\t<key>date-last-viewed</key>\n\t<integer>1718000000</integer>\n'
		if [ -n "$3" ]; then printf '\t<key>date-received</key>\n\t<integer>%s</integer>\n' "$3"; fi
		printf '\t<key>flags</key>\n\t<integer>%s</integer>\n' "$2"
		printf '\t<key>remote-id</key>\n\t<string>%s</string>\n' "$(basename "$1" | cut -d. -f1)"
		printf '</dict>\n</plist>\n'
	} >"$1"
	rm -f "$msg"
}

# Flags carry high bits as Mail's do (1<<33 and attachment counts); the
# low bits are what is tested: read 1, deleted 2, answered 4, flagged 16,
# draft 64, forwarded 256.
m="$acct/INBOX.mbox/$box/Data/Messages"
mkdir -p "$acct/INBOX.mbox"
printf '<?xml version="1.0" encoding="UTF-8"?>\n<plist version="1.0"><dict/></plist>\n' >"$acct/INBOX.mbox/Info.plist"
emlx "$m/101.emlx" 8589934597 1700000100 <<'M'
Received: from mx.example.test by mail.example.test; Tue, 14 Nov 2023 22:15:00 +0000
From: Alice <alice@example.test>
To: Mac User <mac@example.test>
Subject: applemail read and answered
Date: Tue, 14 Nov 2023 22:10:00 +0000
Message-ID: <applemail101@example.test>

From the desk of Alice: no >From escaping in emlx.
.
M
emlx "$m/102.emlx" 8589934595 1700000200 <<'M'
From: Bob <bob@example.test>
To: Mac User <mac@example.test>
Subject: applemail deleted
Date: Tue, 14 Nov 2023 22:20:00 +0000
Message-ID: <applemail102@example.test>

Deleted in Mail, not yet erased: never migrated.
M
emlx "$m/103.partial.emlx" 8589937665 1700000300 <<'M'
From: Carol <carol@example.test>
To: Mac User <mac@example.test>
Subject: applemail partial with attachments
Date: Tue, 14 Nov 2023 22:25:00 +0000
Message-ID: <applemail103@example.test>
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="Apple-Mail=_B1"

--Apple-Mail=_B1
Content-Type: text/plain; charset=us-ascii
Content-Transfer-Encoding: 7bit

Two files attached.

--Apple-Mail=_B1
Content-Transfer-Encoding: base64
Content-Disposition: attachment;
	filename=report.bin
Content-Type: application/octet-stream;
	name=report.bin
X-Apple-Content-Length: 400


--Apple-Mail=_B1
Content-Transfer-Encoding: quoted-printable
Content-Disposition: attachment;
	filename=notes.txt
Content-Type: text/plain;
	name=notes.txt;
	charset=utf-8
X-Apple-Content-Length: 60


--Apple-Mail=_B1--
M
mkdir -p "$acct/INBOX.mbox/$box/Data/Attachments/103/2" "$acct/INBOX.mbox/$box/Data/Attachments/103/3"
i=0
while [ $i -lt 300 ]; do printf "\\$(printf '%03o' $((i % 256)))"; i=$((i + 1)); done >"$acct/INBOX.mbox/$box/Data/Attachments/103/2/report.bin"
printf 'Notes caf\303\251 = 100%%\nsecond line\n' >"$acct/INBOX.mbox/$box/Data/Attachments/103/3/notes.txt"
# A large mailbox's numbered directories.
emlx "$acct/INBOX.mbox/$box/Data/1/Messages/1042.emlx" 8589934608 1700000400 <<'M'
From: Dave <dave@example.test>
To: Mac User <mac@example.test>
Subject: applemail unread flagged
Date: Tue, 14 Nov 2023 22:30:00 +0000
Message-ID: <applemail1042@example.test>

Flagged, not read, in a numbered directory.
M
emlx "$acct/INBOX.mbox/Projects.mbox/$box/Data/Messages/201.emlx" 8589934849 1700000500 <<'M'
From: Erin <erin@example.test>
To: Mac User <mac@example.test>
Subject: applemail project forwarded
Date: Tue, 14 Nov 2023 22:35:00 +0000
Message-ID: <applemail201@example.test>

In a subfolder of INBOX, read and forwarded.
M
emlx "$acct/Sent Messages.mbox/$box/Data/Messages/301.emlx" 8589934593 1700000600 <<'M'
From: Mac User <mac@example.test>
To: Alice <alice@example.test>
Subject: applemail sent
Date: Tue, 14 Nov 2023 22:40:00 +0000
Message-ID: <applemail301@example.test>

Sent from Mail.
M
emlx "$acct/Drafts.mbox/$box/Data/Messages/401.emlx" 8589934657 1700000700 <<'M'
From: Mac User <mac@example.test>
To: Bob <bob@example.test>
Subject: applemail draft
Date: Tue, 14 Nov 2023 22:45:00 +0000
Message-ID: <applemail401@example.test>

Not sent yet.
M
emlx "$acct/Deleted Messages.mbox/$box/Data/Messages/501.emlx" 8589934593 1700000800 <<'M'
From: Frank <frank@example.test>
To: Mac User <mac@example.test>
Subject: applemail in trash
Date: Tue, 14 Nov 2023 22:50:00 +0000
Message-ID: <applemail501@example.test>

Moved to Deleted Messages (the deleted bit is not set).
M
mkdir -p "$acct/Junk.mbox"
printf '<?xml version="1.0" encoding="UTF-8"?>\n<plist version="1.0"><dict/></plist>\n' >"$acct/Junk.mbox/Info.plist"
emlx "$acct/Archive.mbox/$box/Data/Messages/601.emlx" 8589934593 "" <<'M'
Received: from mx.example.test by mail.example.test; Sun, 3 Mar 2019 13:05:00 +0000
From: Grace <grace@example.test>
To: Mac User <mac@example.test>
Subject: applemail archived without date-received
Date: Sun, 3 Mar 2019 13:00:00 +0000
Message-ID: <applemail601@example.test>

No date-received: dated by its Received field.
M
