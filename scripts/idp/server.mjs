// A local OpenID Provider (the certified `oidc-provider` library) for the ledger's tests and
// local sign-in: one confidential client, the people of accounts.json (or IDP_ACCOUNTS), a
// plain login form, PKCE required. Started and stopped by scripts/local-idp.sh.
//
// Environment: IDP_PORT (required), IDP_ISSUER (default http://127.0.0.1:IDP_PORT),
// IDP_CLIENT_ID, IDP_CLIENT_SECRET, IDP_REDIRECT_URIS (comma-separated), IDP_ACCOUNTS (a JSON
// file: [{"login", "password", "subject", "name"}]).
import { generateKeyPairSync, randomBytes, timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import Provider from 'oidc-provider';

const port = Number(process.env.IDP_PORT);
if (!port) throw new Error('IDP_PORT is required');
const issuer = process.env.IDP_ISSUER || `http://127.0.0.1:${port}`;
const accountsFile = process.env.IDP_ACCOUNTS || new URL('./accounts.json', import.meta.url);
const accounts = JSON.parse(readFileSync(accountsFile, 'utf8'));
const redirectUris = (process.env.IDP_REDIRECT_URIS || 'http://127.0.0.1:8000/signin/callback')
  .split(',').map((u) => u.trim()).filter(Boolean);

const bySubject = new Map(accounts.map((a) => [a.subject, a]));
const byLogin = new Map(accounts.map((a) => [a.login, a]));

function sameText(a, b) {
  const x = Buffer.from(String(a));
  const y = Buffer.from(String(b));
  return x.length === y.length && timingSafeEqual(x, y);
}

const signingKey = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey
  .export({ format: 'jwk' });

const provider = new Provider(issuer, {
  clients: [{
    client_id: process.env.IDP_CLIENT_ID || 'ledger',
    client_secret: process.env.IDP_CLIENT_SECRET || 'ledger-local-secret',
    redirect_uris: redirectUris,
    grant_types: ['authorization_code'],
    response_types: ['code'],
    token_endpoint_auth_method: 'client_secret_basic',
  }],
  jwks: { keys: [{ ...signingKey, kid: 'local-idp', use: 'sig', alg: 'RS256' }] },
  cookies: { keys: [randomBytes(32).toString('hex')] },
  claims: { openid: ['sub'], profile: ['name'] },
  pkce: { required: () => true },
  features: { devInteractions: { enabled: false } },
  interactions: { url: (ctx, interaction) => `/interaction/${interaction.uid}` },
  async findAccount(ctx, sub) {
    const account = bySubject.get(sub);
    if (!account) return undefined;
    return { accountId: sub, claims: async () => ({ sub, name: account.name }) };
  },
  // The ledger is this provider's only, first-party client: no consent screen.
  async loadExistingGrant(ctx) {
    const grantId = ctx.oidc.result?.consent?.grantId
      || ctx.oidc.session.grantIdFor(ctx.oidc.client.clientId);
    if (grantId) return ctx.oidc.provider.Grant.find(grantId);
    const grant = new ctx.oidc.provider.Grant({
      clientId: ctx.oidc.client.clientId, accountId: ctx.oidc.session.accountId,
    });
    grant.addOIDCScope('openid profile');
    await grant.save();
    return grant;
  },
});

const escapeHtml = (s) => String(s).replace(/[&<>"']/g, (c) => (
  { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }[c]));

function loginPage(uid, error) {
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Sign in - local identity provider</title>
<meta name="viewport" content="width=device-width, initial-scale=1"></head>
<body><main>
<h1>Sign in</h1>
<p>Local identity provider for the ledger (tests and development).</p>
${error ? `<p role="alert">${escapeHtml(error)}</p>` : ''}
<form method="post" action="/interaction/${escapeHtml(uid)}/login">
<p><label for="login">Username</label><br><input id="login" name="login" autocomplete="username" required></p>
<p><label for="password">Password</label><br><input id="password" name="password" type="password" autocomplete="current-password" required></p>
<p><button type="submit">Sign in</button></p>
</form></main></body></html>`;
}

async function readForm(req) {
  let body = '';
  for await (const chunk of req) {
    body += chunk;
    if (body.length > 16384) throw new Error('form too large');
  }
  return new URLSearchParams(body);
}

async function interaction(req, res) {
  const details = await provider.interactionDetails(req, res);
  const { uid, prompt } = details;
  if (prompt.name !== 'login') {
    // Consent is granted by loadExistingGrant; anything else is not for this provider.
    await provider.interactionFinished(req, res, {
      error: 'access_denied', error_description: `prompt ${prompt.name} is not supported`,
    }, { mergeWithLastSubmission: false });
    return;
  }
  if (req.method === 'POST') {
    const form = await readForm(req);
    const account = byLogin.get(form.get('login') || '');
    if (account && sameText(account.password, form.get('password') || '')) {
      await provider.interactionFinished(req, res, { login: { accountId: account.subject } },
        { mergeWithLastSubmission: false });
      return;
    }
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
    res.end(loginPage(uid, 'Wrong username or password.'));
    return;
  }
  res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
  res.end(loginPage(uid));
}

const handle = provider.callback();
const server = createServer((req, res) => {
  if (req.url.startsWith('/interaction/')) {
    interaction(req, res).catch((error) => {
      res.writeHead(400, { 'content-type': 'text/plain; charset=utf-8' });
      res.end(`interaction failed: ${error.message}`);
    });
    return;
  }
  handle(req, res);
});
server.listen(port, '127.0.0.1', () => {
  console.log(`local OpenID Provider ${issuer} (clients' redirect URIs: ${redirectUris.join(' ')})`);
});
for (const signal of ['SIGTERM', 'SIGINT']) {
  process.on(signal, () => { server.close(() => process.exit(0)); server.closeAllConnections(); });
}
