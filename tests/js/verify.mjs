// Verifies credentials as an outside verifier does: Digital Bazaar's @digitalbazaar/vc with
// the eddsa-rdfc-2022 cryptosuite. Contexts come from the standards folder (offline); did:web
// DIDs and status lists are fetched over http, from the one origin the caller names only.
//
//   node verify.mjs INPUT.json
//   INPUT: {"standards": DIR, "origin": "http://127.0.0.1:PORT",
//           "documents": [{"name": ..., "document": {...}}, ...]}
//   stdout: [{"name", "verified", "error"?, "status"?: {purpose: bit}}, ...]
//
// Every credentialStatus entry is checked too: its list is fetched, verified with the same
// verifier, and its bit read (a status that cannot be checked fails the credential).
import {readFileSync} from 'node:fs';
import path from 'node:path';
import {gunzipSync} from 'node:zlib';

import {DataIntegrityProof} from '@digitalbazaar/data-integrity';
import {cryptosuite as eddsaRdfc2022} from '@digitalbazaar/eddsa-rdfc-2022-cryptosuite';
import * as vc from '@digitalbazaar/vc';

const input = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const origin = new URL(input.origin).origin;
const MULTIKEY_V1 = 'https://w3id.org/security/multikey/v1';

const contexts = new Map();
const indexPath = path.join(input.standards, 'contexts', 'index.json');
for(const [url, file] of Object.entries(JSON.parse(readFileSync(indexPath, 'utf8')))) {
  contexts.set(url, JSON.parse(
    readFileSync(path.join(input.standards, 'contexts', file), 'utf8')));
}

const fetched = new Map();
async function fetchJson(url) {
  if(new URL(url).origin !== origin) {
    throw new Error(`refusing to fetch ${url}: not the ledger under test (${origin})`);
  }
  if(!fetched.has(url)) {
    fetched.set(url, (async () => {
      const response = await fetch(url, {headers: {Accept: 'application/json'}});
      if(!response.ok) {
        throw new Error(`GET ${url}: HTTP ${response.status}`);
      }
      return response.json();
    })());
  }
  return fetched.get(url);
}

// did:web (https://w3c-ccg.github.io/did-method-web/): did:web:host%3Aport:a:b ->
// /a/b/did.json, did:web:host%3Aport -> /.well-known/did.json; http for loopback hosts.
function didWebUrl(did) {
  const [host, ...segments] = did.slice('did:web:'.length).split(':')
    .map(decodeURIComponent);
  const loopback = ['localhost', '127.0.0.1'].includes(host.split(':')[0]);
  const where = segments.length ? `${segments.join('/')}/did.json` : '.well-known/did.json';
  return `${loopback ? 'http' : 'https'}://${host}/${where}`;
}

async function documentLoader(url) {
  if(contexts.has(url)) {
    return {contextUrl: null, documentUrl: url, document: contexts.get(url), tag: 'static'};
  }
  if(url.startsWith('did:web:')) {
    const [did, fragment] = url.split('#');
    const didDocument = await fetchJson(didWebUrl(did));
    if(didDocument.id !== did) {
      throw new Error(`the DID document at ${didWebUrl(did)} is for ${didDocument.id}`);
    }
    if(fragment === undefined) {
      return {contextUrl: null, documentUrl: url, document: didDocument};
    }
    const method = (didDocument.verificationMethod || []).find(m => m.id === url);
    if(!method) {
      throw new Error(`${did} lists no verification method ${url}`);
    }
    return {contextUrl: null, documentUrl: url,
      document: {'@context': MULTIKEY_V1, ...method}};
  }
  if(url.startsWith('http://') || url.startsWith('https://')) {
    return {contextUrl: null, documentUrl: url, document: await fetchJson(url)};
  }
  throw new Error(`the document loader does not resolve ${url}`);
}

const suite = new DataIntegrityProof({cryptosuite: eddsaRdfc2022});

function bitOf(encodedList, index) {
  if(typeof encodedList !== 'string' || !encodedList.startsWith('u')) {
    throw new Error('encodedList is not multibase base64url');
  }
  const bits = gunzipSync(Buffer.from(encodedList.slice(1), 'base64url'));
  if(index >= bits.length * 8) {
    throw new Error(`statusListIndex ${index} is beyond the list`);
  }
  return (bits[index >> 3] & (0x80 >> (index % 8))) !== 0;
}

const lists = new Map();
async function verifiedList(url) {
  if(!lists.has(url)) {
    lists.set(url, (async () => {
      const {document} = await documentLoader(url);
      const result = await vc.verifyCredential({credential: document, suite, documentLoader});
      if(!result.verified) {
        throw new Error(`status list ${url} does not verify: ${describe(result)}`);
      }
      return document;
    })());
  }
  return lists.get(url);
}

async function checkStatus({credential}) {
  const entries = [].concat(credential.credentialStatus);
  const status = {};
  try {
    for(const entry of entries) {
      if(entry.type !== 'BitstringStatusListEntry') {
        throw new Error(`unsupported credentialStatus type ${entry.type}`);
      }
      const list = await verifiedList(entry.statusListCredential);
      const subject = list.credentialSubject;
      if(subject.statusPurpose !== entry.statusPurpose) {
        throw new Error(`the list's purpose ${subject.statusPurpose} is not the entry's`);
      }
      status[entry.statusPurpose] = bitOf(subject.encodedList,
        Number.parseInt(entry.statusListIndex, 10));
    }
  } catch(error) {
    return {verified: false, error: String(error.message || error)};
  }
  return {verified: true, status};
}

function describe(result) {
  const errors = [];
  if(result.error) {
    errors.push(...[].concat(result.error.errors || result.error));
  }
  for(const r of result.results || []) {
    if(r.error) {
      errors.push(r.error);
    }
  }
  if(result.statusResult && result.statusResult.error) {
    errors.push(result.statusResult.error);
  }
  return errors.map(e => String(e && (e.message || e))).join('; ') || 'not verified';
}

const out = [];
for(const {name, document} of input.documents) {
  try {
    const result = await vc.verifyCredential({
      credential: document, suite, documentLoader, checkStatus
    });
    const entry = {name, verified: result.verified};
    if(!result.verified) {
      entry.error = describe(result);
    }
    if(result.statusResult && result.statusResult.status) {
      entry.status = result.statusResult.status;
    }
    out.push(entry);
  } catch(error) {
    out.push({name, verified: false, error: String(error.message || error)});
  }
}
process.stdout.write(JSON.stringify(out));
