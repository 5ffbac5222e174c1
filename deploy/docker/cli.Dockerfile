# syntax=docker/dockerfile:1
# imagerec command-line tool, with the sample images.
#   docker build -f deploy/docker/cli.Dockerfile -t imagerec-cli .
#   docker run --rm -e IMAGEREC_TARGET=balancer:50051 imagerec-cli recognize samples/

FROM maven:3.9-eclipse-temurin-17 AS build
WORKDIR /src
COPY . .
RUN --mount=type=cache,target=/root/.m2 \
    mvn -B -q -DskipTests -pl client-cli -am package

FROM eclipse-temurin:17-jre
RUN groupadd --system imagerec \
 && useradd --system --gid imagerec --create-home --home-dir /home/imagerec imagerec
WORKDIR /opt/imagerec
COPY --from=build /src/bin/launch.sh /src/bin/imagerec bin/
COPY --from=build /src/client-cli/target/imagerec-client-cli-*.jar client-cli/target/
COPY --from=build /src/client-cli/target/lib client-cli/target/lib
COPY --from=build /src/samples samples
USER imagerec
ENTRYPOINT ["bin/imagerec"]
CMD ["--help"]
