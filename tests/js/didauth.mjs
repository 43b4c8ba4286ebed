// A wallet's side of DIDAuth, as the DCC Learner Credential Wallet does it: a fresh did:key
// (Ed25519), and an empty VerifiablePresentation naming it as holder, signed with Digital
// Bazaar's @digitalbazaar/vc (proof purpose authentication, the exchange's challenge and
// domain; the eddsa-rdfc-2022 Data Integrity cryptosuite). Contexts come from the standards
// folder (offline).
//
//   node didauth.mjs INPUT.json
//   INPUT: {"standards": DIR, "challenge": "...", "domain": "..."}
//   stdout: {"holder": "did:key:z6Mk...", "verifiablePresentation": {...}}
import {readFileSync} from 'node:fs';
import path from 'node:path';

import {DataIntegrityProof} from '@digitalbazaar/data-integrity';
import * as Ed25519Multikey from '@digitalbazaar/ed25519-multikey';
import {cryptosuite as eddsaRdfc2022} from '@digitalbazaar/eddsa-rdfc-2022-cryptosuite';
import * as vc from '@digitalbazaar/vc';

const input = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const contexts = new Map();
const indexPath = path.join(input.standards, 'contexts', 'index.json');
for(const [url, file] of Object.entries(JSON.parse(readFileSync(indexPath, 'utf8')))) {
  contexts.set(url, JSON.parse(
    readFileSync(path.join(input.standards, 'contexts', file), 'utf8')));
}

async function documentLoader(url) {
  if(contexts.has(url)) {
    return {contextUrl: null, documentUrl: url, document: contexts.get(url), tag: 'static'};
  }
  throw new Error(`the document loader does not resolve ${url}`);
}

const keyPair = await Ed25519Multikey.generate();
const holder = `did:key:${keyPair.publicKeyMultibase}`;
keyPair.controller = holder;
keyPair.id = `${holder}#${keyPair.publicKeyMultibase}`;
const suite = new DataIntegrityProof({signer: keyPair.signer(), cryptosuite: eddsaRdfc2022});
const presentation = vc.createPresentation({holder});
const signed = await vc.signPresentation({
  presentation, suite, challenge: input.challenge, domain: input.domain, documentLoader
});
process.stdout.write(JSON.stringify({holder, verifiablePresentation: signed}));
