#!/bin/sh
# Installs aiemp, the personal AI employee: downloads the release binary for this machine,
# checks its SHA-256 against the release's SHA256SUMS, installs it (~/.local/bin by default),
# creates the vault when there is none ('aiemp vault init'), and installs the service by running
# the installed 'aiemp service install' (a systemd unit on Linux, a launchd agent on macOS), so the
# unit and plist are defined once, in the binary. '--uninstall' undoes it; the vault stays.
#
#   curl -fsSL <release>/install.sh | sh
#   sh install.sh --help
set -eu

# Where the releases are published (override with --base-url or this variable).
AIEMP_RELEASES=${AIEMP_RELEASES:-https://github.com/aiemp/aiemp/releases}

usage() {
	cat <<'EOF'
Usage: install.sh [options]

Installs the aiemp binary, creates the vault when there is none, and installs aiemp as a
service (systemd on Linux, launchd on macOS).

Options:
  --from FILE       install this local binary instead of downloading one
  --sha256 HEX      with --from: the SHA-256 the file must have (else none is checked)
  --version TAG     the release to download, e.g. v0.2.0 (default: the latest)
  --base-url URL    where releases are published (default: $AIEMP_RELEASES, else the
                    project's releases page)
  --prefix DIR      install the binary as DIR/bin/aiemp (default: ~/.local; /usr/local
                    with --system)
  --vault DIR       the vault (default: $AIEMP_VAULT, else ~/AI_Employee_Vault)
  --system          Linux: a system unit that starts at boot (run as root), not a user unit
  --user NAME       with --system: the account aiemp runs as (default: $SUDO_USER)
  --no-service      install the binary (and vault) only, no service
  --no-start        install and enable the service without starting it now
  --uninstall       remove the service and the binary this script installed; the vault stays
  --dry-run         print each step; change nothing
  --help            show this help

For tests: AIEMP_INSTALL_OS (linux, darwin) and AIEMP_INSTALL_ARCH (x86_64, arm64) stand in
for this machine's; AIEMP_UNIT_DIR is the folder of the unit or plist.
Windows: download aiemp-windows-x86_64.exe from the releases page instead.
EOF
}

say() { printf '%s\n' "$*"; }
die() {
	printf 'install.sh: %s\n' "$*" >&2
	exit 1
}
# Prints a command as a shell line, each word quoted.
show() {
	line=""
	for word in "$@"; do
		case "$word" in
		"" | *[!A-Za-z0-9_./:=@%+,-]*) word="'$(printf '%s' "$word" | sed "s/'/'\\\\''/g")'" ;;
		esac
		line="$line $word"
	done
	printf '%s\n' "${line# }"
}

need_value() {
	if [ "$#" -lt 2 ] || [ -z "$2" ]; then die "$1 needs a value (see --help)"; fi
}
sha256_of() {
	if command -v sha256sum >/dev/null 2>&1; then
		sha256sum "$1" | cut -d' ' -f1
	elif command -v shasum >/dev/null 2>&1; then
		shasum -a 256 "$1" | cut -d' ' -f1
	else
		die "cannot check the download: neither sha256sum nor shasum is installed"
	fi
}
fetch() {
	if command -v curl >/dev/null 2>&1; then
		curl -fsSL --retry 3 -o "$2" "$1" || die "cannot download $1 (curl failed); check the address and your connection"
	elif command -v wget >/dev/null 2>&1; then
		wget -q -O "$2" "$1" || die "cannot download $1 (wget failed); check the address and your connection"
	else
		die "cannot download: neither curl nor wget is installed"
	fi
}

# Everything runs from main, called on the last line: a download cut short ('curl | sh') defines
# a few functions at most and runs nothing.
main() {
	from="" sha256="" version="latest" base_url="$AIEMP_RELEASES" prefix="" vault=""
	system=0 user="" no_service=0 no_start=0 uninstall=0 dry_run=0

	while [ "$#" -gt 0 ]; do
		case "$1" in
		--from) need_value "$@" && from=$2 && shift ;;
		--sha256) need_value "$@" && sha256=$2 && shift ;;
		--version) need_value "$@" && version=$2 && shift ;;
		--base-url) need_value "$@" && base_url=$2 && shift ;;
		--prefix) need_value "$@" && prefix=$2 && shift ;;
		--vault) need_value "$@" && vault=$2 && shift ;;
		--user) need_value "$@" && user=$2 && shift ;;
		--system) system=1 ;;
		--no-service) no_service=1 ;;
		--no-start) no_start=1 ;;
		--uninstall) uninstall=1 ;;
		--dry-run) dry_run=1 ;;
		-h | --help)
			usage
			exit 0
			;;
		*) die "unknown option '$1' (see --help)" ;;
		esac
		shift
	done

	[ -n "${HOME:-}" ] || die "HOME is not set; set it and run again"
	[ -z "$user" ] || [ "$system" -eq 1 ] || die "--user is for --system (a user unit runs as you)"
	[ -z "$sha256" ] || [ -n "$from" ] || die "--sha256 checks a --from file; a download is checked against SHA256SUMS"

	# --- this machine ----------------------------------------------------------------------
	os=${AIEMP_INSTALL_OS:-$(uname -s)}
	case "$os" in
	Linux | linux) os=linux asset_os=linux ;;
	Darwin | darwin | macos) os=darwin asset_os=macos ;;
	MINGW* | MSYS* | CYGWIN* | Windows* | windows)
		die "this script installs on Linux and macOS; on Windows, download aiemp-windows-x86_64.exe from $base_url"
		;;
	*) die "no aiemp release for the operating system '$os' (Linux and macOS are supported)" ;;
	esac
	arch=${AIEMP_INSTALL_ARCH:-$(uname -m)}
	case "$arch" in
	x86_64 | amd64) arch=x86_64 ;;
	aarch64 | arm64) arch=arm64 ;;
	*) die "no aiemp release for the processor '$arch' (x86_64 and arm64 are supported)" ;;
	esac
	asset="aiemp-$asset_os-$arch"
	[ "$system" -eq 0 ] || [ "$os" = linux ] || die "--system is for Linux; on macOS aiemp runs as a launchd agent of your user"

	# --- where things go -------------------------------------------------------------------
	if [ "$system" -eq 1 ]; then
		[ -n "$user" ] || user=${SUDO_USER:-}
		[ -n "$user" ] || user=$(id -un)
		[ "$user" != root ] || die "--system: give --user NAME, the account aiemp runs as (not root)"
		# Before anything changes: the unit, the vault's owner and its home need the account.
		if [ "$uninstall" -eq 0 ] && ! id "$user" >/dev/null 2>&1; then
			die "--system --user $user: there is no account '$user' on this machine; create it first (e.g. useradd -m $user) or give --user NAME of an existing one; nothing was changed"
		fi
		if [ "$(id -u)" -ne 0 ] && [ "$dry_run" -eq 0 ]; then
			die "--system writes to /etc/systemd/system: run it as root (sudo sh install.sh --system ...)"
		fi
		[ -n "$prefix" ] || prefix=/usr/local
		user_home=$(getent passwd "$user" 2>/dev/null | cut -d: -f6) || user_home=""
		if [ -z "$user_home" ] && [ -r /etc/passwd ]; then
			user_home=$(awk -F: -v name="$user" '$1 == name { print $6; exit }' /etc/passwd)
		fi
		[ -n "$user_home" ] || user_home="/home/$user"
		[ -n "$vault" ] || vault=${AIEMP_VAULT:-$user_home/AI_Employee_Vault}
	else
		[ -n "$prefix" ] || prefix="$HOME/.local"
		[ -n "$vault" ] || vault=${AIEMP_VAULT:-$HOME/AI_Employee_Vault}
	fi
	bindir="$prefix/bin"
	target="$bindir/aiemp"

	# The options 'aiemp service ...' gets from this script.
	set -- --platform "$os"
	[ "$system" -eq 0 ] || set -- "$@" --system
	[ -z "${AIEMP_UNIT_DIR:-}" ] || set -- "$@" --unit-dir "$AIEMP_UNIT_DIR"

	# --- uninstall -------------------------------------------------------------------------
	if [ "$uninstall" -eq 1 ]; then
		runner=$target
		[ -x "$runner" ] || runner=$from
		told=0 # 'aiemp service uninstall' says that the vault stays.
		if [ "$no_service" -eq 0 ]; then
			if [ -n "$runner" ] && [ -x "$runner" ]; then
				if [ "$dry_run" -eq 1 ]; then
					"$runner" service uninstall "$@" --dry-run
				else
					"$runner" service uninstall "$@"
				fi
				told=1
			else
				say "No aiemp at $target to remove the service with; if one is installed, remove it with 'aiemp service uninstall' (or give --from FILE)."
			fi
		fi
		if [ -e "$target" ]; then
			if [ "$dry_run" -eq 1 ]; then
				say "Would remove $target"
			else
				rm -f "$target"
				say "Removed $target."
				# The folders made for it, when the default ones and empty now.
				if [ "$prefix" = "$HOME/.local" ]; then
					if rmdir "$bindir" 2>/dev/null; then rmdir "$prefix" 2>/dev/null || true; fi
				fi
			fi
		else
			say "No aiemp at $target: nothing to remove there."
		fi
		if [ "$told" -eq 0 ]; then
			say "The vault $vault stays as it is; remove it yourself if you no longer want it."
		fi
		[ "$dry_run" -eq 0 ] || say "Dry run: nothing was changed."
		exit 0
	fi

	# --- the binary ------------------------------------------------------------------------
	tmp=$(mktemp -d "${TMPDIR:-/tmp}/aiemp-install.XXXXXX")
	trap 'rm -rf "$tmp"' EXIT
	trap 'exit 130' INT TERM

	if [ -n "$from" ]; then
		[ -f "$from" ] || die "--from $from: no such file"
		source_file=$from
		if [ -n "$sha256" ]; then
			actual=$(sha256_of "$from")
			expected=$(printf '%s' "$sha256" | tr 'A-F' 'a-f')
			[ "$actual" = "$expected" ] || die "SHA-256 mismatch for $from: expected $expected, got $actual; nothing was installed"
			say "Checked $from: SHA-256 $actual."
		else
			say "No checksum was checked for $from (give --sha256 HEX to check one)."
		fi
	else
		base_url=${base_url%/}
		case "$version" in
		latest) download="$base_url/latest/download" ;;
		v*) download="$base_url/download/$version" ;;
		*) download="$base_url/download/v$version" ;;
		esac
		if [ "$dry_run" -eq 1 ]; then
			say "Would download $download/$asset and $download/SHA256SUMS"
			say "Would check the binary's SHA-256 against SHA256SUMS"
			source_file="$tmp/$asset"
		else
			say "Downloading $download/$asset"
			fetch "$download/$asset" "$tmp/$asset"
			fetch "$download/SHA256SUMS" "$tmp/SHA256SUMS"
			expected=$(awk -v name="$asset" '$2 == name || $2 == "*" name { print $1; exit }' "$tmp/SHA256SUMS")
			[ -n "$expected" ] || die "SHA256SUMS of $download lists no $asset; nothing was installed"
			actual=$(sha256_of "$tmp/$asset")
			[ "$actual" = "$expected" ] || die "SHA-256 mismatch for $asset: expected $expected, got $actual; nothing was installed"
			say "Checked $asset: SHA-256 $actual."
			source_file="$tmp/$asset"
		fi
	fi

	changed=1 existed=0
	[ ! -e "$target" ] || existed=1
	if [ -f "$target" ] && [ -f "$source_file" ] && cmp -s "$source_file" "$target"; then
		changed=0
	fi
	if [ "$dry_run" -eq 1 ]; then
		if [ "$changed" -eq 0 ]; then
			say "$target is already this binary; it would stay as it is"
		else
			say "Would install the binary as $target (mode 0755)"
		fi
	elif [ "$changed" -eq 0 ]; then
		say "$target is already this binary, up to date."
	else
		mkdir -p "$bindir"
		cp "$source_file" "$bindir/.aiemp.$$.tmp"
		chmod 0755 "$bindir/.aiemp.$$.tmp"
		mv -f "$bindir/.aiemp.$$.tmp" "$target"
		say "Installed $target (mode 0755)."
	fi

	# --- the vault -------------------------------------------------------------------------
	# What runs 'aiemp ...' now: the installed binary, or in a dry run the file it would be.
	runner=$target
	[ "$dry_run" -eq 0 ] || runner=$source_file
	if [ -d "$vault/Inbox" ] && [ -d "$vault/Approved" ]; then
		say "The vault $vault is there; it stays as it is."
	elif [ "$dry_run" -eq 1 ]; then
		say "Would run: $(show aiemp vault init --path "$vault")"
	else
		"$runner" vault init --path "$vault"
		if [ "$system" -eq 1 ]; then
			chown -R "$user" "$vault"
		fi
	fi

	# --- the service -----------------------------------------------------------------------
	if [ "$no_service" -eq 1 ]; then
		say "No service installed (--no-service): start aiemp with '$target start'."
	else
		[ "$system" -eq 0 ] || set -- "$@" --user "$user"
		[ "$no_start" -eq 0 ] || set -- "$@" --no-start
		# A new binary under an unchanged unit: the running service restarts onto it.
		if [ "$changed" -eq 1 ] && [ "$existed" -eq 1 ]; then set -- "$@" --restart; fi
		set -- service install --binary "$target" --vault "$vault" "$@"
		if [ "$dry_run" -eq 1 ]; then
			if [ -x "$runner" ]; then
				"$runner" "$@" --dry-run
			else
				say "Would run: $(show aiemp "$@")"
			fi
		else
			"$runner" "$@"
		fi
	fi

	case ":${PATH:-}:" in
	*":$bindir:"*) ;;
	*) say "Note: $bindir is not on your PATH; add it (e.g. in ~/.profile: export PATH=\"$bindir:\$PATH\") to run 'aiemp' by name." ;;
	esac
	[ "$dry_run" -eq 0 ] || say "Dry run: nothing was changed."
}

main "$@"
