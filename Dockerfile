# syntax=docker/dockerfile:1
# deskflow: a static binary on a minimal base, run as a non-root user, its
# SQLite database and key file in the /data volume.
FROM golang:1.26 AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o /out/deskflow ./cmd/deskflow

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/deskflow /usr/local/bin/deskflow
ENV DESKFLOW_ADDR=0.0.0.0:8080 \
    DESKFLOW_DATABASE_URL=sqlite:/data/deskflow.db
VOLUME ["/data"]
EXPOSE 8080
USER nonroot:nonroot
HEALTHCHECK --interval=30s --timeout=3s --start-period=10s --retries=3 \
  CMD ["/usr/local/bin/deskflow", "probe", "http://127.0.0.1:8080/readyz"]
ENTRYPOINT ["/usr/local/bin/deskflow"]
CMD ["serve"]
