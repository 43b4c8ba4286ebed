// A wallet's side of DIDAuth: a fresh did:key (Ed25519), and an empty VerifiablePresentation
// naming it as holder, signed with proof purpose authentication for the exchange's challenge
// and domain. Two signers (contexts from the standards folder, offline):
//   "Ed25519Signature2020": the DCC Learner Credential Wallet's own libraries and calls
//     (@digitalcredentials/vc signPresentation with @digitalcredentials/ed25519-signature-2020,
//     as its app/lib/exchanges.ts constructExchangeRequest does); the suite's context comes
//     from its npm package and is printed too, for a standards cache that lacks it.
//   "eddsa-rdfc-2022": Digital Bazaar's @digitalbazaar/vc with the Data Integrity cryptosuite.
//
//   node didauth.mjs INPUT.json
//   INPUT: {"standards": DIR, "challenge": "...", "domain": "..." or null, "suite": ...}
//   stdout: {"holder": "did:key:z6Mk...", "verifiablePresentation": {...},
//            "contexts": {URL: DOCUMENT}}
import {readFileSync} from 'node:fs';
import path from 'node:path';

import {DataIntegrityProof} from '@digitalbazaar/data-integrity';
import * as Ed25519Multikey from '@digitalbazaar/ed25519-multikey';
import {cryptosuite as eddsaRdfc2022} from '@digitalbazaar/eddsa-rdfc-2022-cryptosuite';
import * as vc from '@digitalbazaar/vc';
import {Ed25519Signature2020} from '@digitalcredentials/ed25519-signature-2020';
import {
  Ed25519VerificationKey2020
} from '@digitalcredentials/ed25519-verification-key-2020';
import * as lcwVc from '@digitalcredentials/vc';
import ed25519Context from 'ed25519-signature-2020-context';

const input = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const contexts = new Map();
const indexPath = path.join(input.standards, 'contexts', 'index.json');
for(const [url, file] of Object.entries(JSON.parse(readFileSync(indexPath, 'utf8')))) {
  contexts.set(url, JSON.parse(
    readFileSync(path.join(input.standards, 'contexts', file), 'utf8')));
}
const extra = {};
if(input.suite === 'Ed25519Signature2020') {
  extra[ed25519Context.CONTEXT_URL] = ed25519Context.CONTEXT;
  contexts.set(ed25519Context.CONTEXT_URL, ed25519Context.CONTEXT);
}

async function documentLoader(url) {
  if(contexts.has(url)) {
    return {contextUrl: null, documentUrl: url, document: contexts.get(url), tag: 'static'};
  }
  throw new Error(`the document loader does not resolve ${url}`);
}

const challenge = input.challenge;
const domain = input.domain ?? undefined; // none: the wallet's older credential request flow
let holder;
let signed;
if(input.suite === 'Ed25519Signature2020') {
  const key = await Ed25519VerificationKey2020.generate();
  holder = `did:key:${key.fingerprint()}`;
  key.controller = holder;
  key.id = `${holder}#${key.fingerprint()}`;
  const suite = new Ed25519Signature2020({key});
  const presentation = lcwVc.createPresentation({holder});
  signed = await lcwVc.signPresentation({
    presentation, challenge, domain, suite, documentLoader
  });
} else {
  const keyPair = await Ed25519Multikey.generate();
  holder = `did:key:${keyPair.publicKeyMultibase}`;
  keyPair.controller = holder;
  keyPair.id = `${holder}#${keyPair.publicKeyMultibase}`;
  const suite = new DataIntegrityProof({signer: keyPair.signer(), cryptosuite: eddsaRdfc2022});
  const presentation = vc.createPresentation({holder});
  signed = await vc.signPresentation({
    presentation, suite, challenge, domain, documentLoader
  });
}
process.stdout.write(JSON.stringify({holder, verifiablePresentation: signed, contexts: extra}));
