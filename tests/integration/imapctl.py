#!/usr/bin/env python3
"""imapctl.py - a second IMAP client and an independent oracle for the sync tests.

Talks to the rig's Dovecot (RIG_* environment, user alice) with Python's
imaplib over TLS, never through muttlike's code, so that a bug in the sync
cannot hide itself in the check.

  imapctl.py compare MAILDIR_ACCOUNT_DIR [SKIP...]
                                           every server folder (but the SKIP ones) vs the local
                                           Maildir: same UIDs (from ,U=), flags, sizes, Message-IDs
  imapctl.py flags FOLDER UID (+|-)FLAGS   e.g. flags INBOX 3 +\\Flagged
  imapctl.py flagmany FOLDER N (+|-)FLAG   change FLAG on the first N messages
  imapctl.py expunge FOLDER UID...         \\Deleted + UID EXPUNGE
  imapctl.py expunge-tag FOLDER TAG        expunge what appendmany FOLDER N TAG made
  imapctl.py expunge-all FOLDER            delete every message of FOLDER
  imapctl.py append FOLDER FILE [FLAGS]
  imapctl.py move FOLDER UID DEST
  imapctl.py copy FOLDER UIDSET DEST       UID COPY (on a Gmail-shaped server: add a label)
  imapctl.py midflags FOLDER MESSAGE-ID    the flag letters of each copy of that message, one a line
  imapctl.py uids FOLDER                   print "uid flags" lines
  imapctl.py create FOLDER | delete FOLDER | rename FOLDER NEWNAME
  imapctl.py count FOLDER
  imapctl.py list                          print the selectable folders' names, one a line (as the tests write them)
  imapctl.py rawlist                       the same, the server's own names
  imapctl.py uidkw FOLDER UID              print the message's keywords (lower case, sorted) or -
  imapctl.py serve                         the commands above from stdin, one a line (split as
                                           the shell would); each answered on stdout with
                                           "STATUS LENGTH\n" and LENGTH bytes of its output:
                                           one Python for a whole test program (tu_imapctl)

FOLDER names are written as on the Dovecot rig ("Work/Projects"); on a
server whose personal namespace has a prefix or another separator (the
rig's RIG_NS_PREFIX and RIG_NS_SEP: the Cyrus classic layout has "INBOX."
and ".") they are translated, and `list` translates back.  `compare` maps
each server folder to its local directory by splitting it at the server's
own delimiter, as maildir_folder_relpath() does: "INBOX.Work.Projects" is
INBOX/Work/Projects (the mirror keeps the namespace prefix, doc/sync.md).
"""
import imaplib
import os
import re
import ssl
import sys


OPENED = []  # serve: the connections of the current command, closed after it


def connect():
    ctx = ssl.create_default_context(cafile=os.environ["RIG_CA"])
    ctx.check_hostname = False
    m = imaplib.IMAP4_SSL(os.environ["RIG_HOST"], int(os.environ["RIG_IMAPS_PORT"]), ssl_context=ctx)
    OPENED.append(m)
    m.login(os.environ["RIG_USER"], os.environ["RIG_PASS"])
    return m


NS_PREFIX = os.environ.get("RIG_NS_PREFIX", "")
NS_SEP = os.environ.get("RIG_NS_SEP", "/") or "/"


def to_server(name):
    """A folder name as the tests write it -> the server's name."""
    if NS_PREFIX and name.startswith(NS_PREFIX):
        return name  # already the server's name
    if name == "INBOX" or name.startswith("INBOX/"):
        return name.replace("/", NS_SEP)
    return NS_PREFIX + name.replace("/", NS_SEP)


def from_server(name):
    """The server's name -> the name as the tests write it."""
    if NS_PREFIX and name.startswith(NS_PREFIX):
        name = name[len(NS_PREFIX):]
    return name.replace(NS_SEP, "/")


imaplib.Commands.setdefault("SETMETADATA", ("AUTH", "SELECTED"))


def special_use(m, folder):
    """The folder's special-use attribute (e.g. "\\Archive") or None."""
    typ, data = m._simple_command("LIST", '""', quote(folder), "RETURN", "(SPECIAL-USE)")
    for line in m._untagged_response(typ, data, "LIST")[1]:
        s = line.decode() if isinstance(line, bytes) else ""
        mm = re.search(r"\\(All|Archive|Drafts|Flagged|Junk|Sent|Trash)\b", s.split(")", 1)[0], re.I)
        if mm:
            return "\\" + mm.group(1).capitalize()
    return None


def quote(name):
    return '"' + name.replace("\\", "\\\\").replace('"', '\\"') + '"'


def folders(m):
    return [n for n, _ in folders_delim(m)]


def folders_delim(m, attrs=None):
    """(name, hierarchy delimiter or None) of every selectable folder;
    attrs (a dict) gets each one's LIST attributes."""
    typ, data = m.list('""', "*")
    out = []
    for line in data:
        if line is None:
            continue
        s = line.decode() if isinstance(line, bytes) else line
        mm = re.match(r'\((?P<fl>[^)]*)\) (?P<d>"[^"]*"|NIL) (?P<n>.*)$', s)
        if not mm or "\\Noselect" in mm.group("fl"):
            continue
        n = mm.group("n")
        if n.startswith('"'):
            n = n[1:-1].replace('\\"', '"').replace("\\\\", "\\")
        d = mm.group("d")
        out.append((n, None if d == "NIL" else d[1:-1].replace("\\\\", "\\")))
        if attrs is not None:
            attrs[n] = mm.group("fl").split()
    return out


SYS = {"\\Seen": "S", "\\Answered": "R", "\\Flagged": "F", "\\Deleted": "T", "\\Draft": "D", "$Forwarded": "P"}


def server_msgs(m, folder):
    typ, _ = m.select(quote(folder), readonly=True)
    if typ != "OK":
        return None
    typ, data = m.uid("FETCH", "1:*", "(UID FLAGS RFC822.SIZE BODY.PEEK[HEADER.FIELDS (MESSAGE-ID)])")
    msgs = {}
    for item in data:
        if not isinstance(item, tuple):
            continue
        head = item[0].decode()
        uid = int(re.search(r"UID (\d+)", head).group(1))
        flags = re.search(r"FLAGS \(([^)]*)\)", head).group(1).split()
        size = int(re.search(r"RFC822\.SIZE (\d+)", head).group(1))
        mid = re.search(rb"<([^>]*)>", item[1])
        letters = "".join(sorted(SYS[f] for f in flags if f in SYS))
        msgs[uid] = (letters, size, mid.group(1).decode() if mid else None)
    return msgs


def local_msgs(d):
    msgs = {}
    others = []
    for sub in ("cur", "new"):
        p = os.path.join(d, sub)
        if not os.path.isdir(p):
            continue
        for f in os.listdir(p):
            mm = re.search(r",U=(\d+)", f)
            info = f.split(":2,", 1)[1] if ":2," in f else ""
            if mm and mm.group(1) == "0":
                continue  # an orphan of an old UIDVALIDITY: kept on purpose
            if not mm:
                others.append(f)
                continue
            uid = int(mm.group(1))
            data = open(os.path.join(p, f), "rb").read()
            mid = re.search(rb"(?im)^message-id:\s*<([^>]*)>", data.split(b"\n\n", 1)[0].split(b"\r\n\r\n", 1)[0])
            if uid in msgs:
                others.append("DUPLICATE " + f)
            # files have LF line ends (CRLF when an earlier version wrote
            # them): the server's size counts each line end as CRLF
            size = len(data) + len(re.findall(rb"(?<!\r)\n", data))
            stub = re.match(rb"X-Muttlike-Stub: (\d+)\r?\n", data)
            if stub:
                size = int(stub.group(1))  # a header-only stub stands for the server's size
            msgs[uid] = ("".join(sorted(c for c in info if c in "DFPRST")), size,
                         mid.group(1).decode() if mid else None)
    return msgs, others


def safe_rel(name, delim="/"):
    # must match maildir_folder_relpath(): components split at the server's delimiter
    parts = []
    for comp in (name.split(delim) if delim else [name]):
        out = b""
        reserved = comp in ("cur", "new", "tmp")
        for i, ch in enumerate(comp.encode()):
            c = chr(ch)
            if ch < 0x20 or ch == 0x7F or c in "/\\%" or (i == 0 and (c == "." or reserved)):
                out += b"%%%02X" % ch
            else:
                out += bytes([ch])  # bytes >= 0x80 stay as they are (UTF-8)
        parts.append(out.decode("utf-8", "surrogateescape") if comp else "%00")
    return "/".join(parts)


def decode_mutf7(n):
    def dec(mm):
        s = mm.group(1)
        if s == "":
            return "&"
        b = (s.replace(",", "/") + "===")[: ((len(s) + 3) // 4) * 4]
        import base64
        return base64.b64decode(b).decode("utf-16-be")
    return re.sub(r"&([^-]*)-", dec, n)


def compare(acctdir, skip=()):
    m = connect()
    bad = 0
    total = 0
    attrs = {}
    for f, delim in folders_delim(m, attrs):
        srv = server_msgs(m, f) if f not in skip else None
        if srv is None:
            continue
        loc, others = local_msgs(os.path.join(acctdir, safe_rel(decode_mutf7(f), delim)))
        total += len(srv)
        for o in others:
            print("%s: extra local file %s" % (f, o))
            bad += 1
        for uid in sorted(set(srv) | set(loc)):
            s, l = srv.get(uid), loc.get(uid)
            if s is None:
                print("%s: uid %d only local" % (f, uid)); bad += 1
            elif l is None:
                print("%s: uid %d only on server" % (f, uid)); bad += 1
            elif s[0] != l[0]:
                print("%s: uid %d flags server=%s local=%s" % (f, uid, s[0], l[0])); bad += 1
            elif s[2] != l[2]:
                print("%s: uid %d message-id differs" % (f, uid)); bad += 1
            elif s[1] != l[1]:
                print("%s: uid %d size server=%d local=%d" % (f, uid, s[1], l[1])); bad += 1
        seen = {}
        for uid, v in srv.items():
            if v[2] is not None:
                seen.setdefault(v[2], []).append(uid)
        for mid, uids in seen.items():
            # Dovecot's virtual "All Mail" (the rig's gmail profile) shows
            # a message once per folder holding a copy (Gmail: once).
            if len(uids) > 1 and "\\All" not in attrs.get(f, []):
                print("%s: Message-ID %s on the server %d times (uids %s)" % (f, mid, len(uids), uids)); bad += 1
    m.logout()
    print("compared %d messages, %d differences" % (total, bad))
    return 1 if bad else 0


def main(argv):
    cmd = argv[1]
    if cmd == "compare":
        return compare(argv[2], argv[3:])
    # Folder arguments: argv[2], and the destination of move and rename.
    if cmd not in ("list", "rawlist") and len(argv) > 2:
        argv[2] = to_server(argv[2])
    if cmd == "move":
        argv[4] = to_server(argv[4])
    if cmd == "rename":
        argv[3] = to_server(argv[3])
    m = connect()
    if cmd == "flags":
        m.select(quote(argv[2]))
        op = argv[4][0]
        typ, _ = m.uid("STORE", argv[3], op + "FLAGS.SILENT", "(" + argv[4][1:] + ")")
        return 0 if typ == "OK" else 1
    if cmd == "flagmany":
        m.select(quote(argv[2]))
        n = int(argv[3])
        typ, data = m.uid("SEARCH", "ALL")
        uids = data[0].split()[:n]
        op = argv[4][0]
        for i in range(0, len(uids), 200):
            m.uid("STORE", b",".join(uids[i:i + 200]).decode(), op + "FLAGS.SILENT", "(" + argv[4][1:] + ")")
        return 0
    if cmd == "expunge":
        m.select(quote(argv[2]))
        s = ",".join(argv[3:])
        m.uid("STORE", s, "+FLAGS.SILENT", "(\\Deleted)")
        m.uid("EXPUNGE", s)
        return 0
    if cmd == "expunge-tag":
        # expunge-tag FOLDER TAG: the messages appendmany made with TAG.
        m.select(quote(argv[2]))
        typ, data = m.uid("SEARCH", "HEADER", "Message-ID", '"<%s-"' % argv[3])
        uids = data[0].split() if typ == "OK" and data and data[0] else []
        for i in range(0, len(uids), 200):
            s = b",".join(uids[i:i + 200]).decode()
            m.uid("STORE", s, "+FLAGS.SILENT", "(\\Deleted)")
            m.uid("EXPUNGE", s)
        return 0 if typ == "OK" else 1
    if cmd == "expunge-all":
        m.select(quote(argv[2]))
        m.store("1:*", "+FLAGS.SILENT", "(\\Deleted)")
        m.expunge()
        return 0
    if cmd == "append":
        flags = argv[4] if len(argv) > 4 else ""
        data = open(argv[3], "rb").read()
        typ, _ = m.append(quote(argv[2]), "(" + flags + ")" if flags else None, None, data)
        return 0 if typ == "OK" else 1
    if cmd == "appendmany":
        # appendmany FOLDER N TAG [BODY-BYTES]: N messages <TAG-i@test>, i = 1..N.
        pad = int(argv[5]) if len(argv) > 5 else 0
        filler = "".join("line %d of the filler text\r\n" % k for k in range(pad // 28 + 1))[:pad]
        for i in range(1, int(argv[3]) + 1):
            data = ("From: a@example.org\r\nSubject: %s %d\r\nMessage-ID: <%s-%d@test>\r\n\r\nbody %d\r\n%s"
                    % (argv[4], i, argv[4], i, i, filler)).encode()
            typ, _ = m.append(quote(argv[2]), None, None, data)
            if typ != "OK":
                return 1
        return 0
    if cmd == "move":
        m.select(quote(argv[2]))
        typ, _ = m.uid("MOVE", argv[3], quote(argv[4]))
        return 0 if typ == "OK" else 1
    if cmd == "copy":
        m.select(quote(argv[2]))
        typ, _ = m.uid("COPY", argv[3], quote(argv[4]))
        return 0 if typ == "OK" else 1
    if cmd == "midflags":
        msgs = server_msgs(m, argv[2]) or {}
        for uid, v in sorted(msgs.items()):
            if v[2] == argv[3]:
                print(v[0] or "-")
        return 0
    if cmd == "uids":
        for uid, v in sorted(server_msgs(m, argv[2]).items()):
            print(uid, v[0] or "-")
        return 0
    if cmd == "midcount":
        msgs = server_msgs(m, argv[2]) or {}
        print(sum(1 for v in msgs.values() if v[2] == argv[3]))
        return 0
    if cmd == "body":
        # body FOLDER MESSAGE-ID: the server's bytes of that message
        m.select(quote(argv[2]), readonly=True)
        typ, data = m.uid("SEARCH", "HEADER", "Message-ID", '"%s"' % argv[3])
        uids = data[0].split() if typ == "OK" and data and data[0] else []
        if len(uids) != 1:
            print("found %d" % len(uids), file=sys.stderr)
            return 1
        typ, data = m.uid("FETCH", uids[0].decode(), "(BODY.PEEK[])")
        sys.stdout.buffer.write(next(d[1] for d in data if isinstance(d, tuple)))
        return 0
    if cmd == "uidflags":
        msgs = server_msgs(m, argv[2]) or {}
        v = msgs.get(int(argv[3]))
        print(v[0] if v else "GONE")
        return 0
    if cmd in ("recreate", "recreate-empty"):
        # A new UIDVALIDITY: the folder is deleted and made again, with
        # the same messages (recreate) or none (recreate-empty).
        f = argv[2]
        tmp = f + "-old"
        use = special_use(m, f)
        assert m.rename(quote(f), quote(tmp))[0] == "OK"
        assert m.create(quote(f))[0] == "OK"
        if cmd == "recreate":
            m.select(quote(tmp))
            assert m.uid("COPY", "1:*", quote(f))[0] == "OK"
            m.close()
        assert m.delete(quote(tmp))[0] == "OK"
        # Dovecot gives the special-use by name; Cyrus moved it with the
        # RENAME (and deleted it): give the new folder its role back.
        if use and not special_use(m, f):
            typ, _ = m._simple_command("SETMETADATA", quote(f), "(/private/specialuse %s)" % quote(use))
            assert typ == "OK"
        return 0
    if cmd == "uidkw":
        # The keywords (non-system flags) of one message, sorted, lower case.
        m.select(quote(argv[2]), readonly=True)
        typ, data = m.uid("FETCH", argv[3], "(FLAGS)")
        kws = []
        for item in data:
            s = item.decode() if isinstance(item, bytes) else (item[0].decode() if isinstance(item, tuple) else "")
            mm = re.search(r"FLAGS \(([^)]*)\)", s)
            if mm:
                kws = [f for f in mm.group(1).split() if not f.startswith("\\") and f != "$Forwarded"]
        print(" ".join(sorted(k.lower() for k in kws)) or "-")
        return 0
    if cmd == "count":
        typ, data = m.select(quote(argv[2]), readonly=True)
        print(int(data[0]))
        return 0
    if cmd == "rawlist":  # the server's own names, untranslated
        for f in folders(m):
            print(f)
        return 0
    if cmd == "list":
        for f in folders(m):
            print(from_server(f))
        return 0
    if cmd == "create":
        return 0 if m.create(quote(argv[2]))[0] == "OK" else 1
    if cmd == "rename":
        return 0 if m.rename(quote(argv[2]), quote(argv[3]))[0] == "OK" else 1
    if cmd == "delete":
        return 0 if m.delete(quote(argv[2]))[0] == "OK" else 1
    print("unknown command", cmd, file=sys.stderr)
    return 2


def serve():
    """Each command runs as its own process would, on its own connection
    (closed after it); only Python's start and imports are shared."""
    import io
    import shlex
    import traceback
    out = sys.stdout.buffer
    for line in sys.stdin.buffer:
        buf = io.BytesIO()  # text and bytes (body writes to .buffer)
        txt = io.TextIOWrapper(buf, encoding="utf-8", errors="backslashreplace", write_through=True)
        sys.stdout = sys.stderr = txt
        try:
            rc = main(["imapctl.py"] + shlex.split(line.decode()))
        except SystemExit as e:
            rc = e.code if isinstance(e.code, int) else 1
        except Exception:  # as the process would: a traceback and status 1
            traceback.print_exc()
            rc = 1
        finally:
            sys.stdout, sys.stderr = sys.__stdout__, sys.__stderr__
            for m in OPENED:
                try:
                    m.shutdown()
                except Exception:  # closed by its logout already
                    pass
            OPENED.clear()
        txt.flush()
        data = buf.getvalue()
        txt.detach()
        out.write(b"%d %d\n" % (rc or 0, len(data)) + data)
        out.flush()
    return 0


if __name__ == "__main__":
    sys.exit(serve() if sys.argv[1:] == ["serve"] else main(sys.argv))
