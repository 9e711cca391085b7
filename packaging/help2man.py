#!/usr/bin/env python3
"""Turns a program's --help text into a man page (roff), so the page cannot
drift from --help. The help text's shape: "Usage:" lines, a description, then
sections introduced by an unindented "Title:" line; in "Options:", each
"  --option" line is followed by its more deeply indented description.

    help2man.py BINARY SECTION "one-line summary" OUTPUT"""

import os
import subprocess
import sys


MANUALS = {"1": "User Commands", "8": "System Administration"}


def esc(text):
    text = text.replace("\\", "\\e").replace("-", "\\-")
    return "\\&" + text if text.startswith((".", "'")) else text


def main():
    binary, section, summary, output = sys.argv[1:5]
    prog = os.path.basename(binary)
    lines = subprocess.run([binary, "--help"], check=True, capture_output=True,
                           text=True).stdout.splitlines()
    out = ['.\\" Generated from "%s --help" by packaging/help2man.py: do not edit.' % prog,
           ".TH %s %s \"\" \"thindesk\" \"%s\"" % (prog.upper(), section, MANUALS[section]),
           ".SH NAME", "%s \\- %s" % (esc(prog), esc(summary)), ".SH SYNOPSIS"]
    i = 0
    while i < len(lines) and (lines[i].startswith("Usage:") or lines[i].startswith("       ")):
        words = lines[i].replace("Usage:", "").strip().split(" ", 1)
        out += [".B %s" % esc(words[0]), esc(words[1]) if len(words) > 1 else "", ".br"]
        i += 1
    out.append(".SH DESCRIPTION")
    section_name = None
    for line in lines[i:]:
        if not line.strip():
            out.append(".PP" if section_name != "OPTIONS" else "")
            continue
        if not line.startswith(" ") and line.endswith(":"):
            section_name = line[:-1].upper()
            out.append(".SH %s" % esc(section_name))
            continue
        stripped = line.strip()
        if section_name == "OPTIONS" and line.startswith("  -") and not line.startswith("   "):
            out += [".TP", "\\fB%s\\fR" % esc(stripped)]
        elif section_name in ("EXIT STATUS", "EXAMPLES", "FILES", "SEE ALSO"):
            out += [esc(stripped), ".br"]
        else:
            out.append(esc(stripped))
    with open(output + ".tmp", "w") as f:
        f.write("\n".join(out) + "\n")
    os.replace(output + ".tmp", output)


if __name__ == "__main__":
    main()
