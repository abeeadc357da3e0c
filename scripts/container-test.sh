#!/usr/bin/env bash
# make container-test: build the Dockerfile, unmodified, from a clean export of HEAD and run the
# README's commands in the image, as root and as another user; check on the host that every
# output exists and that a non-root host user can read (and, for its own runs, delete) them.
#
# No Docker engine and no container registry needed: Debian's podman + buildah (runc as the
# runtime) build the image on a local stand-in for python:3.11-slim-bookworm made with
# debootstrap (Debian 12 + python3.11 + pip), with the host's extra CA certificates so that
# pip works behind an intercepting proxy. Everything (root filesystem, image storage, engine
# configuration, outputs) lives in one temporary folder, removed on exit. Run as root.
#
# Quiet on success apart from the time of each phase; on failure, the tail of its log.
#
#   DRIVER=vfs|overlay   containers-storage driver (default: overlay when it mounts here, else vfs)
#   MIRROR=URL           Debian mirror for debootstrap (default http://deb.debian.org/debian)
#   KEEP=1               keep the temporary folder (images, outputs, logs) for a look afterwards
set -euo pipefail

cd "$(dirname "$0")/.."
PROJECT=$PWD
SUITE=bookworm
MIRROR=${MIRROR:-http://deb.debian.org/debian}
BASE_TAG=docker.io/library/python:3.11-slim-bookworm # what the Dockerfile's FROM resolves to
IMAGE=localhost/memspice-container-test
OTHER_USER=65534:65534 # nobody:nogroup, standing in for a host user's "$(id -u):$(id -g)"

say() { echo "container-test: $*" >&2; }
[ "$(id -u)" -eq 0 ] || { say "run as root (debootstrap, chroot and podman's storage need it)"; exit 1; }
git -C "$PROJECT" rev-parse --verify -q HEAD >/dev/null || { say "not a git checkout with a commit"; exit 1; }
[ -z "$(git -C "$PROJECT" status --porcelain --untracked-files=no)" ] \
    || say "note: uncommitted changes are not tested (the image is built from HEAD)"

W=$(mktemp -d "${TMPDIR:-/tmp}/memspice-container-test.XXXXXX")
chmod 755 "$W" # the non-root checks below must reach the outputs
mkdir -p "$W"/{conf,storage,runroot,tmp,logs,src}
PHASE_PID=
started_all=$(date +%s)

cleanup() {
    local status=$?
    trap - EXIT INT TERM
    set +e # remove all that can be removed
    if [ -n "${PHASE_PID:-}" ]; then # interrupted: stop the phase's whole process group
        kill -TERM -- "-$PHASE_PID" 2>/dev/null
        for _ in 1 2 3 4 5 6 7 8 9 10; do
            kill -0 -- "-$PHASE_PID" 2>/dev/null || break
            sleep 0.5
        done
        kill -KILL -- "-$PHASE_PID" 2>/dev/null # debootstrap outlives a TERM
        wait "$PHASE_PID" 2>/dev/null
    fi
    if [ "${KEEP:-0}" = 1 ]; then
        say "kept $W (podman: CONTAINERS_CONF=$W/conf/containers.conf CONTAINERS_STORAGE_CONF=$W/conf/storage.conf)"
        exit "$status"
    fi
    if [ -n "${CONTAINERS_CONF:-}" ] && command -v podman >/dev/null; then
        podman rm -af -t 0 >/dev/null 2>&1 || true
        podman rmi -af >/dev/null 2>&1 || true
        podman system reset -f >/dev/null 2>&1 || true
    fi
    # Whatever the storage driver or a killed debootstrap (proc, sys) left mounted under $W,
    # deepest first; and never a removal across a mount that stayed.
    findmnt -rn -o TARGET | grep -F "$W/" | sort -r | while read -r target; do
        umount -l "$target" 2>/dev/null
    done
    rm -rf --one-file-system "$W" 2>/dev/null || { sleep 1; rm -rf --one-file-system "$W"; } \
        || say "could not remove $W"
    exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# phase NAME COMMAND...: run quietly into its log; print its time, or the log's tail on failure.
phase() {
    local name=$1 started=$SECONDS
    shift
    LOG=$W/logs/$name.log
    # In a process group of its own (set -m), so that an interrupt stops all of it (cleanup),
    # and in the background, so that the traps run at once; not in an `if`, where bash would
    # ignore set -e inside the function.
    set +e -m
    (set -e; "$@") >"$LOG" 2>&1 &
    PHASE_PID=$!
    set +m
    wait "$PHASE_PID"
    local status=$?
    PHASE_PID=
    set -e
    if [ "$status" -ne 0 ]; then
        say "FAILED in phase '$name' after $((SECONDS - started)) s (status $status); last lines of its log:"
        tail -n 40 "$LOG" >&2
        exit 1
    fi
    printf 'container-test: %-30s %4d s\n' "$name" $((SECONDS - started)) >&2
}

# --- tools: Debian's podman and buildah; runc, since crun 1.8 refuses cgroup "hybrid" mode
install_tools() {
    local missing=()
    for pkg in podman buildah runc debootstrap util-linux; do
        dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
    done
    [ ${#missing[@]} -eq 0 ] && return 0
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq "${missing[@]}" # with recommends: netavark, slirp4netns, uidmap, ...
}

overlay_works() {
    local probe=$W/overlay-probe
    mkdir -p "$probe"/{lower,upper,work,merged}
    mount -t overlay overlay -o "lowerdir=$probe/lower,upperdir=$probe/upper,workdir=$probe/work" "$probe/merged" \
        2>/dev/null || { rm -rf "$probe"; return 1; }
    umount "$probe/merged"
    rm -rf "$probe"
}

# --- a private engine configuration and storage, so that nothing outside $W is touched
# (in this shell: it exports the variables podman reads)
configure_podman() {
    if [ -z "${DRIVER:-}" ]; then
        if overlay_works; then DRIVER=overlay; else DRIVER=vfs; fi
    fi
    cat >"$W/conf/storage.conf" <<EOF
[storage]
driver = "$DRIVER"
graphroot = "$W/storage"
runroot = "$W/runroot"
EOF
    # podman asks for nofile=1048576 by default, which is EPERM above the host's hard limit;
    # it caps its own nproc at 32768, so the container may not ask for more than that.
    cat >"$W/conf/containers.conf" <<EOF
[containers]
default_ulimits = ["nofile=$(ulimit -Sn):$(ulimit -Hn)", "nproc=4096:4096"]
[engine]
runtime = "runc"
events_logger = "file"
tmp_dir = "$W/runroot/libpod-tmp"
EOF
    export CONTAINERS_STORAGE_CONF=$W/conf/storage.conf CONTAINERS_CONF=$W/conf/containers.conf TMPDIR=$W/tmp
}

# --- the base image: Debian 12 + python3.11 + pip, laid out like the official python image
make_base_rootfs() {
    local rootfs=$W/rootfs
    debootstrap --variant=minbase "$SUITE" "$rootfs" "$MIRROR"
    printf 'deb %s %s main\ndeb %s %s-updates main\ndeb %s %s-security main\n' \
        "$MIRROR" "$SUITE" "$MIRROR" "$SUITE" "$MIRROR-security" "$SUITE" >"$rootfs/etc/apt/sources.list"
    cp /etc/resolv.conf "$rootfs/etc/resolv.conf"
    # The CAs this host trusts beyond Debian's, so that pip works in RUN behind a proxy.
    if compgen -G "/usr/local/share/ca-certificates/*.crt" >/dev/null; then
        mkdir -p "$rootfs/usr/local/share/ca-certificates"
        cp /usr/local/share/ca-certificates/*.crt "$rootfs/usr/local/share/ca-certificates/"
    fi
    chroot "$rootfs" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin DEBIAN_FRONTEND=noninteractive sh -ec '
        apt-get update -qq
        apt-get install -y -qq --no-install-recommends python3 python3-pip python3-venv ca-certificates netbase tzdata
        update-ca-certificates
        apt-get clean
        rm -rf /var/lib/apt/lists/* /var/log/apt/* /tmp/*'
    rm -f "$rootfs"/usr/lib/python3.11/EXTERNALLY-MANAGED # the official image has no PEP 668 marker
    for name in python python3; do ln -sf /usr/bin/python3 "$rootfs/usr/local/bin/$name"; done
    for name in pip pip3; do ln -sf /usr/bin/pip3 "$rootfs/usr/local/bin/$name"; done
    : >"$rootfs/etc/resolv.conf"
}

import_base() {
    tar --numeric-owner -C "$W/rootfs" -c . | podman import \
        --change 'ENV PATH=/usr/local/bin:/usr/local/sbin:/usr/sbin:/usr/bin:/sbin:/bin' \
        --change 'ENV LANG=C.UTF-8' --change 'CMD ["python3"]' - "$BASE_TAG"
    rm -rf "$W/rootfs"
}

# --- the unmodified Dockerfile, from a clean export of HEAD
build_image() {
    git -C "$PROJECT" archive HEAD | tar -x -C "$W/src"
    (cd "$W/src" && podman build --pull=never -t "$IMAGE" .)
}

check_image() {
    # Nothing of the build stays (pip builds in the source folder); the linker OpenVAF needs is there.
    podman run --rm --network none --entrypoint sh "$IMAGE" -ec '
        leftovers=$(find / -xdev -type d \( -name build -o -name "*.egg-info" -o -name "memspice-src" \) \
                    -not -path "*-packages/*" -not -path "/usr/share/*" -not -path "/usr/lib/*" 2>/dev/null)
        [ -z "$leftovers" ] || { echo "build leftovers in the image: $leftovers"; exit 1; }
        [ -z "$(ls -A /out)" ] || { echo "/out is not empty: $(ls -A /out)"; exit 1; }
        ld --version | head -n 1
        env | grep -E "^(HOME|MEMSPICE_CACHE|MPLCONFIGDIR)="'
    podman image ls "$IMAGE"
}

# in_image COMMAND...: memspice COMMAND in the image, with the options "${run[@]}" of run_all;
# its stderr goes to the log and to $errors.
in_image() {
    local status=0
    echo "+ ${run[*]} $*"
    "${run[@]}" "$@" 2>"$errors.last" || status=$?
    cat "$errors.last" >&2
    cat "$errors.last" >>"$errors"
    return "$status"
}

# run_all LABEL [PODMAN_RUN_OPTION...]: the README's commands, outputs into $W/out-LABEL
run_all() {
    local label=$1
    local out=$W/out-$label
    shift
    local run=(podman run --rm --network none "$@" -v "$out:/out" "$IMAGE")
    local errors=$W/logs/stderr-$label.txt
    in_image hysteresis --model hp --set window=biolek --freq 1,10,100 --out /out/hysteresis
    in_image crossbar-read --rows 32 --cols 32 --r-word 1 --r-bit 1 --pattern random --out /out/crossbar-read
    in_image write-scheme --rows 16 --cols 16 --out /out/write-scheme
    in_image write-scheme --rows 16 --cols 16 --engine vacask --out /out/write-scheme-vacask
    in_image models >"$out/models.txt"
    in_image export-va hp -o /out/hp.va
    # No traceback, no PermissionError, no matplotlib warning about its config folder.
    if grep -iE "traceback|error|permission|warning|not a writable" "$errors"; then
        echo "unexpected messages on stderr (above)"
        return 1
    fi
}

check_outputs() {
    local label=$1
    local out=$W/out-$label
    local expected=(
        hysteresis/summary.json hysteresis/hysteresis.png
        crossbar-read/summary.json crossbar-read/currents.csv crossbar-read/crossbar_read.png
        write-scheme/summary.json write-scheme/cells.csv write-scheme/write_scheme.png write-scheme/write_scheme.sim
        write-scheme-vacask/summary.json write-scheme-vacask/write_scheme.png
        hp.va models.txt
    )
    for file in "${expected[@]}"; do
        [ -s "$out/$file" ] || { echo "$label: missing or empty: $file"; return 1; }
    done
    # Nothing else: no .cache or .config of a home folder that is the working folder /out.
    local entries
    entries=$(ls -A "$out" | tr '\n' ' ')
    [ "$entries" = "crossbar-read hp.va hysteresis models.txt write-scheme write-scheme-vacask " ] \
        || { echo "$label: unexpected entries in the output folder: $entries"; return 1; }
    grep -q '^hp: ' "$out/models.txt" || { echo "$label: models.txt does not list hp"; return 1; }
    grep -q '^module ' "$out/hp.va" || { echo "$label: hp.va is not a Verilog-A module"; return 1; }
    for study in crossbar-read write-scheme write-scheme-vacask; do
        # the summary's engine block: "engine": {"backend": "vacask", "version": ...}
        grep -q '"backend": "vacask"' "$out/$study/summary.json" \
            || { echo "$label: $study did not run in VACASK:"; grep '"engine' "$out/$study/summary.json"; return 1; }
    done
    # Every folder listable and every file readable by a user that is neither root nor the owner.
    setpriv --reuid 65534 --regid 65534 --clear-groups find "$out" -type f -exec cat {} + >/dev/null \
        || { echo "$label: outputs not readable by a non-root user:"; ls -lR "$out"; return 1; }
    ls -lR "$out"
}

remove_outputs() {
    local label=$1 owner=$2
    local out=$W/out-$label
    setpriv --reuid "${owner%:*}" --regid "${owner#*:}" --clear-groups sh -c 'rm -r "$1"/*' sh "$out" \
        || { echo "$label: uid ${owner%:*} cannot remove its outputs:"; ls -lR "$out"; return 1; }
    [ -z "$(ls -A "$out")" ] || { echo "$label: left after rm: $(ls -A "$out")"; return 1; }
}

phase "tools (apt-get)" install_tools
configure_podman
phase "podman ($DRIVER storage)" podman info --format '{{.Store.GraphDriverName}} {{.Host.OCIRuntime.Name}}'
phase "base rootfs (debootstrap)" make_base_rootfs
phase "base image import" import_base
phase "image build" build_image
phase "image check" check_image

# As root, like a plain `docker run`; then as a user without a home folder in the image, the
# README's --user "$(id -u):$(id -g)", writing into a folder of its own as `mkdir -p out` makes.
mkdir -p "$W/out-root" "$W/out-user"
chown "$OTHER_USER" "$W/out-user"
phase "runs as root" run_all root
phase "runs as --user $OTHER_USER" run_all user --user "$OTHER_USER"
phase "output checks (root runs)" check_outputs root
phase "output checks (user runs)" check_outputs user
phase "removal by the user" remove_outputs user "$OTHER_USER"
say "passed in $(($(date +%s) - started_all)) s"
