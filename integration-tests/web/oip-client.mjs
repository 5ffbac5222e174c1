// The Open Inference Protocol from another language: loads imagerec's inference/grpc_service.proto
// at run time (@grpc/proto-loader, no generated code), calls a balancer's GRPCInferenceService
// and prints what it answered as one JSON object, for OpenInferenceProtocolTest to check.
//
//   node oip-client.mjs HOST:PORT PROTO_FILE MODEL IMAGE...
import grpc from '@grpc/grpc-js';
import protoLoader from '@grpc/proto-loader';
import { readFileSync } from 'node:fs';

const [target, protoFile, model, ...images] = process.argv.slice(2);
const definition = protoLoader.loadSync(protoFile, { keepCase: true, longs: Number, defaults: true });
const inference = grpc.loadPackageDefinition(definition).inference;
const client = new inference.GRPCInferenceService(target, grpc.credentials.createInsecure());

const call = (method, request) => new Promise((resolve, reject) =>
  client[method](request, { deadline: Date.now() + 30000 }, (error, response) => error ? reject(error) : resolve(response)));

// images as Triton's clients send them: raw contents, each element a 4-byte little-endian length and the bytes
const raw = Buffer.concat(images.flatMap((file) => {
  const bytes = readFileSync(file);
  const length = Buffer.alloc(4);
  length.writeUInt32LE(bytes.length);
  return [length, bytes];
}));

const result = {};
try {
  result.ready = (await call('ServerReady', {})).ready;
  const metadata = await call('ModelMetadata', { name: model });
  result.platform = metadata.platform;
  result.inputs = metadata.inputs.map((t) => `${t.name}:${t.datatype}`);
  const response = await call('ModelInfer', {
    model_name: model,
    id: 'node-1',
    inputs: [{ name: 'image', datatype: 'BYTES', shape: [images.length] }],
    outputs: [{ name: 'scores', parameters: { classification: { int64_param: 1 } } }],
    raw_input_contents: [raw],
  });
  result.id = response.id;
  result.shape = response.outputs[0].shape;
  const out = response.raw_output_contents[0];
  result.top = [];
  for (let offset = 0; offset < out.length;) {
    const length = out.readUInt32LE(offset);
    result.top.push(out.subarray(offset + 4, offset + 4 + length).toString('utf8'));
    offset += 4 + length;
  }
  try {
    await call('ModelInfer', { model_name: 'no-such-model', inputs: [] });
  } catch (error) {
    result.unknownModel = grpc.status[error.code];
  }
} catch (error) {
  result.error = `${grpc.status[error.code]}: ${error.details}`;
}
console.log(JSON.stringify(result));
client.close();
