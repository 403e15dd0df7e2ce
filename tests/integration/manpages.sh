#!/bin/sh
# The manual pages: mandoc finds nothing to warn about in them, and they
# document what the code has.  Every command of socmesh (each struct
# cli_cmd of daemon/cli*.c) appears as "Cm NAME" in docs/socmesh.1, with the
# trust subcommands; every option of every struct cli_opt table of
# daemon/cli*.c, and the global --dir, --json, as "Fl -NAME"; every option
# of daemon/main.c in docs/socmeshd.8; every key of socmesh.conf
# (common/config.c) and of trust.conf (common/trust.c) as "Ic KEY" in
# docs/socmesh.conf.5.  Run from the repository root; needs no daemon.
set -u
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }

MAN1=docs/socmesh.1 MAN8=docs/socmeshd.8 MAN5=docs/socmesh.conf.5
CLI=daemon/cli.c MAIN=daemon/main.c CONF=common/config.c TRUST=common/trust.c

# --- 1. mandoc -Tlint -W warning: no output, status 0 ----------------------

if ! command -v mandoc >/dev/null 2>&1; then
	fail "mandoc is not installed (make deps installs it)"
else
	for p in "$MAN1" "$MAN8" "$MAN5"; do
		if [ ! -f "$p" ]; then
			fail "$p: missing"
			continue
		fi
		out=$(mandoc -Tlint -W warning "$p" 2>&1)
		rc=$?
		if [ -n "$out" ]; then
			printf "%s\n" "$out" | while IFS= read -r l; do echo "FAIL: $l"; done
			fails=$((fails + 1))
		fi
		[ "$rc" -eq 0 ] || fail "$p: mandoc -Tlint -W warning exits $rc"
	done
fi

# --- extraction from the sources --------------------------------------------

# The short options of every getopt_long call: the letters of its optstring.
short_options() {
	sed -n 's/.*getopt_long([^"]*"\([^"]*\)".*/\1/p' "$@" | tr -d ':\n' | fold -w1 | sort -u
}

# The first quoted string of each entry { "name", ... } of the table that
# starts at the line matching $1, up to its };.
table_names() {
	awk -v start="$1" '
	$0 ~ start { t = 1 }
	t {
		l = $0
		while (match(l, /\{[ \t]*"[^"]*"[ \t]*,/)) {
			s = substr(l, RSTART, RLENGTH)
			sub(/^\{[ \t]*"/, "", s)
			sub(/".*$/, "", s)
			print s
			l = substr(l, RSTART + RLENGTH)
		}
		if ($0 ~ /\};/)
			t = 0
	}' "$2"
}

# The option names of the CLI's tables: every entry { "name", "ARG" or
# NULL, "help", ... } of a struct cli_opt table or of the macros that
# tables share.
long_options() {
	grep -ho '{ *"[a-z-]*", *\("[^"]*"\|NULL\), *"' "$@" | sed 's/^{ *"\([a-z-]*\)".*/\1/' | sort -u
}

# The keys of common/config.c: entries { "section", "key", T_TYPE, ... }
# of s_keys[], printed as "section key".
config_keys() {
	awk '
	/s_keys\[\][ \t]*=/ { t = 1 }
	t {
		l = $0
		while (match(l, /\{[ \t]*"[a-z_]+"[ \t]*,[ \t]*"[a-z_]+"[ \t]*,[ \t]*T_/)) {
			s = substr(l, RSTART, RLENGTH)
			gsub(/[{",]|T_$/, " ", s)
			split(s, f, " ")
			print f[1], f[2]
			l = substr(l, RSTART + RLENGTH)
		}
		if ($0 ~ /^\};/)
			t = 0
	}' "$CONF"
}

# The same from the tables of docs/CONFIG.md section 3, if config.c's
# table cannot be read: "| `key` |" rows under "### [section]".
config_keys_md() {
	awk '
	/^## 3\./ { t = 1; next }
	/^## / { t = 0 }
	t && /^### \[[a-z]+\]/ { sec = $2; gsub(/[][]/, "", sec) }
	t && sec != "" && /^\| `[a-z_]+` \|/ { k = $2; gsub(/`/, "", k); print sec, k }
	' docs/CONFIG.md
}

# The keys of a trust.conf section: common/trust.c's keys[] = { "key", ... }.
trust_keys() {
	sed -n '/keys\[\][ \t]*=[ \t]*{/{s/^[^{]*{//;s/}.*//;p;}' "$TRUST" | tr ',' '\n' |
		sed -n 's/^[ \t]*"\([a-z_]*\)".*/\1/p'
}

# A name as an extended regular expression.
quote() { printf '%s\n' "$1" | sed 's/[].[^$*+?(){}|\\/]/\\&/g'; }

# has FILE MACRO NAME: FILE has "MACRO NAME" (Fl: "Fl -NAME" for a long
# option), NAME a whole word.
has() {
	n=$(quote "$3")
	grep -Eq "(^|[^A-Za-z])$2 $n([^A-Za-z0-9_-]|\$)" "$1"
}

# --- 2. socmesh(1): commands, trust subcommands, options ---------------------

cmds=$(grep -ho '{ *"[a-z]*", *cmd_[a-z_]*' daemon/cli*.c | sed 's/^{ *"\([a-z]*\)".*/\1/')
[ "$(echo "$cmds" | wc -w)" -ge 20 ] || fail "daemon/cli*.c: $(echo "$cmds" | wc -w) commands found"
for c in $cmds; do
	has "$MAN1" Cm "$c" || fail "$MAN1: command '$c' ($CLI s_commands) is not documented as 'Cm $c'"
done

subs=$(printf 'add\nset\nremove\nlist\n'; sed -n 's/.*strcmp(sub, "\([a-z-]*\)").*/\1/p' "$CLI")
for s in $(printf "%s\n" "$subs" | sort -u); do
	has "$MAN1" Cm "$s" || fail "$MAN1: trust subcommand '$s' is not documented as 'Cm $s'"
done

opts=$(long_options daemon/cli*.c)
[ "$(echo "$opts" | wc -w)" -ge 40 ] || fail "daemon/cli*.c: $(echo "$opts" | wc -w) options found"
# The options that main() takes out of every command line.
globals=$(printf 'dir\njson\n'; sed -n 's/.*strcmp(argv\[i\], "--\([a-z-]*\)").*/\1/p' "$CLI")
for o in $(printf "%s\n" "$opts" "$globals" | sort -u); do
	has "$MAN1" Fl "-$o" || fail "$MAN1: option --$o ($CLI) is not documented as 'Fl -$o'"
done
for o in $(short_options daemon/cli*.c); do
	has "$MAN1" Fl "$o" || fail "$MAN1: option -$o ($CLI) is not documented as 'Fl $o'"
done

# --- 3. socmeshd(8): options -------------------------------------------------

dopts=$(table_names 'struct option' "$MAIN" | sort -u)
[ -n "$dopts" ] || fail "$MAIN: no struct option table found"
for o in $dopts; do
	has "$MAN8" Fl "-$o" || fail "$MAN8: option --$o ($MAIN) is not documented as 'Fl -$o'"
done
for o in $(short_options "$MAIN"); do
	has "$MAN8" Fl "$o" || fail "$MAN8: option -$o ($MAIN) is not documented as 'Fl $o'"
done

# --- 4. socmesh.conf(5): every key of socmesh.conf and trust.conf ------------

keys=$(config_keys)
from=$CONF
if [ -z "$keys" ]; then
	keys=$(config_keys_md)
	from=docs/CONFIG.md
fi
[ -n "$keys" ] || fail "no configuration keys found in $CONF or docs/CONFIG.md"
printf '%s\n' "$keys" | {
	f=0
	while read -r sec key; do
		[ -n "$key" ] || continue
		if ! has "$MAN5" Ic "$key"; then
			echo "FAIL: $MAN5: key '$key' of [$sec] ($from) is not documented as 'Ic $key'"
			f=1
		fi
		if ! grep -Fq "[$sec]" "$MAN5"; then
			echo "FAIL: $MAN5: section [$sec] ($from) is not documented"
			f=1
		fi
	done
	exit $f
} || fails=$((fails + 1))

tkeys=$(trust_keys)
[ -n "$tkeys" ] || fail "$TRUST: no trust.conf keys found (keys[] = { ... })"
for k in $tkeys; do
	has "$MAN5" Ic "$k" || fail "$MAN5: trust.conf key '$k' ($TRUST) is not documented as 'Ic $k'"
done

[ "$fails" -eq 0 ]
