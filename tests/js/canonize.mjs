// Digital Bazaar's JSON-LD and RDFC-1.0 implementations, as outside verifiers run them, for
// the Python suite. Reads one JSON request on stdin, writes one JSON answer on stdout:
//   {"nquads": "..."}                       -> {"canonical": "..."} (rdf-canonize, RDFC-1.0)
//   {"document": {...}, "contexts": "DIR"}  -> {"canonical": "...", "proofs": [true|false, ...]}
// A document's eddsa-rdfc-2022 proofs are checked with jsonld.js + rdf-canonize + node:crypto;
// the public key is the multikey of the verification method's fragment (did:key, or the
// ledger's did:web methods, whose fragment is the key's multikey too). Contexts are read only
// from DIR/contexts/index.json (the shared standards folder): no network.
import {createHash, createPublicKey, verify} from 'node:crypto';
import {readFileSync} from 'node:fs';
import {join} from 'node:path';
import jsonld from 'jsonld';
import canonize from 'rdf-canonize';

const ALPHABET = '123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz';

function base58(text) {
  let value = 0n;
  for(const char of text) {
    const digit = ALPHABET.indexOf(char);
    if(digit < 0) {
      throw new Error(`not base58btc: ${char}`);
    }
    value = value * 58n + BigInt(digit);
  }
  const bytes = [];
  while(value > 0n) {
    bytes.unshift(Number(value % 256n));
    value /= 256n;
  }
  const zeros = text.match(/^1*/)[0].length;
  return Buffer.from([...new Array(zeros).fill(0), ...bytes]);
}

function ed25519Key(verificationMethod) {
  const multikey = verificationMethod.split('#').pop();
  const raw = base58(multikey.slice(1));
  if(multikey[0] !== 'z' || raw[0] !== 0xed || raw[1] !== 0x01 || raw.length !== 34) {
    throw new Error(`not an Ed25519 multikey: ${multikey}`);
  }
  const x = raw.subarray(2).toString('base64url');
  return createPublicKey({key: {kty: 'OKP', crv: 'Ed25519', x}, format: 'jwk'});
}

function loader(dir) {
  const index = JSON.parse(readFileSync(join(dir, 'contexts', 'index.json'), 'utf8'));
  return async url => {
    const file = index[url];
    if(!file) {
      throw new Error(`context not in the standards folder: ${url}`);
    }
    const document = JSON.parse(readFileSync(join(dir, 'contexts', file), 'utf8'));
    return {contextUrl: null, documentUrl: url, document};
  };
}

async function canonical(document, documentLoader) {
  return jsonld.canonize(document, {
    algorithm: 'RDFC-1.0', format: 'application/n-quads', documentLoader, safe: false
  });
}

const sha256 = text => createHash('sha256').update(text, 'utf8').digest();

async function check(document, proof, documentLoader) {
  try {
    const {proofValue, ...options} = proof;
    options['@context'] = document['@context'];
    const {proof: _, ...unproven} = document;
    const data = Buffer.concat([
      sha256(await canonical(options, documentLoader)),
      sha256(await canonical(unproven, documentLoader))
    ]);
    return verify(null, data, ed25519Key(proof.verificationMethod),
      base58(proofValue.slice(1)));
  } catch(error) {
    process.stderr.write(`proof check failed: ${error.message}\n`);
    return false;
  }
}

const chunks = [];
for await (const chunk of process.stdin) {
  chunks.push(chunk);
}
const request = JSON.parse(Buffer.concat(chunks).toString('utf8'));
let answer;
if(request.nquads !== undefined) {
  answer = {canonical: await canonize.canonize(request.nquads, {
    algorithm: 'RDFC-1.0', inputFormat: 'application/n-quads', format: 'application/n-quads'
  })};
} else {
  const documentLoader = loader(request.contexts);
  const {proof: _, ...unproven} = request.document;
  const proofs = [request.document.proof ?? []].flat();
  answer = {
    canonical: await canonical(unproven, documentLoader),
    proofs: await Promise.all(proofs.map(p => check(request.document, p, documentLoader)))
  };
}
process.stdout.write(JSON.stringify(answer));
