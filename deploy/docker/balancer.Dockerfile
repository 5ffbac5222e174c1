# syntax=docker/dockerfile:1
# imagerec balancer: forwards Recognizer calls to the least-loaded healthy worker.
#   docker build -f deploy/docker/balancer.Dockerfile -t imagerec-balancer .
#   docker run -p 50051:50051 -p 8080:8080 -p 9090:9090 imagerec-balancer --discover worker:50061
# gRPC on 50051 (Recognizer, health, reflection), admin services on 50052 (loopback only: use
# `docker exec ... bin/imagerec workers`), HTTP uploads on 8080
# (POST /image, POST /v1/recognize), Prometheus metrics on 9090 (/metrics).

FROM maven:3.9-eclipse-temurin-17 AS build
WORKDIR /src
COPY . .
RUN --mount=type=cache,target=/root/.m2 \
    mvn -B -q -DskipTests -pl balancer,client-cli -am package

FROM eclipse-temurin:17-jre
RUN groupadd --system imagerec \
 && useradd --system --gid imagerec --create-home --home-dir /home/imagerec imagerec
WORKDIR /opt/imagerec
COPY --from=build /src/bin/launch.sh /src/bin/imagerec-balancer /src/bin/imagerec bin/
COPY --from=build /src/balancer/target/imagerec-balancer-*.jar balancer/target/
COPY --from=build /src/balancer/target/lib balancer/target/lib
# the CLI is here for the HEALTHCHECK and for `docker exec ... bin/imagerec workers`
COPY --from=build /src/client-cli/target/imagerec-client-cli-*.jar client-cli/target/
COPY --from=build /src/client-cli/target/lib client-cli/target/lib
USER imagerec
ENV IMAGEREC_BALANCER_PORT=50051 \
    IMAGEREC_HTTP_PORT=8080 \
    IMAGEREC_METRICS_PORT=9090
EXPOSE 50051 8080 9090
# the process's own health (""): SERVING while it runs, whether or not workers are up yet
HEALTHCHECK --interval=10s --timeout=5s --start-period=20s --retries=3 \
  CMD ["bin/imagerec", "health", "--target", "localhost:50051", "--service", "", "--deadline", "3s"]
ENTRYPOINT ["bin/imagerec-balancer"]
