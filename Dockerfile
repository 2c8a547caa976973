# The Alerting server as a container image (docs/deploy.md).
#   docker build -t alerting --build-arg SDK_IMAGE=... --build-arg RUNTIME_IMAGE=... \
#     --build-arg SOURCE_REVISION=$(git rev-parse HEAD) .
#   docker run -d -v alerting-data:/data -p 7700:7700 -p 7701:7701 \
#     -e ALERTING_ApiKeys__0__Key=<key> -e ALERTING_ApiKeys__0__Scopes__0=admin \
#     alerting --bind 0.0.0.0
# Without --bind (or ALERTING_BindAddress) the server listens on the container's loopback only,
# as it does everywhere: binding other addresses needs API keys.

# The base images are the official .NET 10 SDK and ASP.NET Core runtime images; pass their
# references for the registry you pull from (docs/deploy.md), e.g.
#   --build-arg SDK_IMAGE=<registry>/dotnet/sdk:10.0 --build-arg RUNTIME_IMAGE=<registry>/dotnet/aspnet:10.0
ARG SDK_IMAGE
ARG RUNTIME_IMAGE

FROM ${SDK_IMAGE} AS build
# The commit shown by alerting_build_info and /api/v1/status/buildinfo (.git is not copied in).
ARG SOURCE_REVISION=""
WORKDIR /src
# Restore first, from the project files only, so a source change does not repeat it.
COPY .editorconfig Directory.Build.props Directory.Packages.props ./
COPY engine/Alerting.Engine/Alerting.Engine.csproj engine/Alerting.Engine/
COPY engine/Alerting.Protocol/Alerting.Protocol.csproj engine/Alerting.Protocol/
COPY engine/Alerting.Notifications/Alerting.Notifications.csproj engine/Alerting.Notifications/
COPY engine/Alerting.Server/Alerting.Server.csproj engine/Alerting.Server/
COPY replication/Alerting.Replication/Alerting.Replication.csproj replication/Alerting.Replication/
RUN dotnet restore engine/Alerting.Server/Alerting.Server.csproj
COPY engine/ engine/
COPY replication/ replication/
RUN dotnet publish engine/Alerting.Server/Alerting.Server.csproj --no-restore -c Release -o /app \
      ${SOURCE_REVISION:+-p:SourceRevisionId=$SOURCE_REVISION}

FROM ${RUNTIME_IMAGE}
WORKDIR /app
COPY --from=build /app ./
# The data folder (journal, snapshots, manifest) is a volume owned by the image's non-root
# user "app"; the server never runs as root.
RUN mkdir -p /data && chown app:app /data && chmod 0700 /data
USER app
VOLUME ["/data"]
ENV ALERTING_DataDirectory=/data
# gRPC (HTTP/2) and HTTP/1.1 (JSON API, status page, /metrics, /readyz).
EXPOSE 7700 7701
# The runtime image has no curl: bash asks /readyz over a plain TCP socket.
HEALTHCHECK --interval=10s --timeout=3s --start-period=120s --retries=3 \
  CMD ["bash", "-c", "exec 3<>/dev/tcp/127.0.0.1/${ALERTING_HttpPort:-7701} && printf 'GET /readyz HTTP/1.0\\r\\nHost: localhost\\r\\n\\r\\n' >&3 && head -n 1 <&3 | grep -q ' 200 '"]
# SIGTERM (docker stop) drains, commits and snapshots: give it time (docker stop -t 60).
STOPSIGNAL SIGTERM
ENTRYPOINT ["dotnet", "/app/Alerting.Server.dll"]
