# syntax=docker/dockerfile:1
# imagerec worker: runs the TorchScript and ONNX models of /opt/imagerec/models (the bundled
# Fashion-MNIST model, or a volume mounted over it) with DJL on PyTorch (CPU build of libtorch
# 2.7.1) or ONNX Runtime 1.21.1 (its native library comes in its jar under target/lib).
#   docker build -f deploy/docker/worker.Dockerfile -t imagerec-worker .
#   docker run -p 50061:50061 -p 9091:9091 imagerec-worker
# gRPC on 50061 (Recognizer, health, reflection), Prometheus metrics on 9091 (/metrics).

FROM maven:3.9-eclipse-temurin-17 AS build
WORKDIR /src
COPY . .
RUN --mount=type=cache,target=/root/.m2 \
    mvn -B -q -DskipTests -pl worker-node,client-cli -am package

FROM eclipse-temurin:17-jre
RUN groupadd --system imagerec \
 && useradd --system --gid imagerec --create-home --home-dir /home/imagerec imagerec
WORKDIR /opt/imagerec
COPY --from=build /src/bin/launch.sh /src/bin/imagerec-worker /src/bin/imagerec bin/
COPY --from=build /src/worker-node/target/imagerec-worker-node-*.jar worker-node/target/
COPY --from=build /src/worker-node/target/lib worker-node/target/lib
# the CLI is here for the HEALTHCHECK (imagerec health)
COPY --from=build /src/client-cli/target/imagerec-client-cli-*.jar client-cli/target/
COPY --from=build /src/client-cli/target/lib client-cli/target/lib
COPY --from=build /src/models models
USER imagerec
ENV DJL_CACHE_DIR=/home/imagerec/.djl.ai \
    DJL_OFFLINE=true \
    IMAGEREC_MODELS=/opt/imagerec/models \
    IMAGEREC_WORKER_PORT=50061 \
    IMAGEREC_METRICS_PORT=9091
# Unpacks libtorch from its jar into DJL_CACHE_DIR and loads every model once, at build time, so
# a container starts offline and fast, and a broken model fails the build.
RUN bin/imagerec-worker --check
EXPOSE 50061 9091
HEALTHCHECK --interval=10s --timeout=5s --start-period=60s --retries=3 \
  CMD ["bin/imagerec", "health", "--target", "localhost:50061", "--deadline", "3s"]
ENTRYPOINT ["bin/imagerec-worker"]
