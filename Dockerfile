# memspice in a container: ngspice from Debian, VACASK + OpenVAF from PyPI, memspice as the entry point.
#   docker build -t memspice .
#   mkdir -p out
#   docker run --rm --user "$(id -u):$(id -g)" -v "$PWD/out:/out" memspice hysteresis --model hp --set window=biolek --freq 1,10,100 --out /out
# `make container-test` (scripts/container-test.sh) builds this file and runs it, as root and as another user.
FROM python:3.11-slim-bookworm

# The same install script as `make demo` / `make test` on a host: ngspice, libngspice0 and
# binutils (OpenVAF links Verilog-A modules with ld).
COPY scripts/install-system-deps.sh /tmp/memspice-src/scripts/install-system-deps.sh
RUN /tmp/memspice-src/scripts/install-system-deps.sh && rm -rf /var/lib/apt/lists/*

# Built from a copy under /tmp that goes with its build/ and .egg-info folders.
COPY pyproject.toml README.md /tmp/memspice-src/
COPY memspice /tmp/memspice-src/memspice
RUN pip install --no-cache-dir "/tmp/memspice-src[veriloga]" && rm -rf /tmp/memspice-src && mkdir -p /out

# Caches in the world-writable /tmp, so that any user (`--user "$(id -u):$(id -g)"`, whose
# home may not exist or be writable) can compile Verilog-A modules and draw figures.
ENV MPLBACKEND=Agg \
    MEMSPICE_CACHE=/tmp/memspice-cache \
    MPLCONFIGDIR=/tmp/matplotlib
WORKDIR /out
ENTRYPOINT ["memspice"]
CMD ["--help"]
