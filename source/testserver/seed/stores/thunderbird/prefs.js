// A stand-in for a Thunderbird profile's prefs.js (not read by migrate): the
// account whose mail is in Mail/Local Folders.
user_pref("mail.server.server1.directory-rel", "[ProfD]Mail/Local Folders");
user_pref("mail.server.server1.hostname", "Local Folders");
user_pref("mail.server.server1.type", "none");
