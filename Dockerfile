# memspice in a container: ngspice from Debian, memspice as the entry point.
#   docker build -t memspice .
#   docker run --rm -v "$PWD/out:/out" memspice hysteresis --model hp --set window=biolek --freq 1,10,100 --out /out
FROM python:3.11-slim-bookworm

WORKDIR /opt/memspice
# The same install script as `make demo` / `make test` on a host.
COPY scripts/install-system-deps.sh scripts/install-system-deps.sh
RUN ./scripts/install-system-deps.sh && rm -rf /var/lib/apt/lists/*

COPY pyproject.toml README.md ./
COPY memspice memspice
RUN pip install --no-cache-dir ".[veriloga]" && mkdir -p /out

ENV MPLBACKEND=Agg
ENTRYPOINT ["memspice"]
CMD ["--help"]
