import { createHash, createPrivateKey, generateKeyPair, randomBytes, X509Certificate } from 'node:crypto';
import { promisify } from 'node:util';
import { XMLBuilder, XMLParser, XMLValidator } from 'fast-xml-parser';
import forge from 'node-forge';

export const VAULT_CREDENTIALS_NAMESPACE =
  'http://schemas.datacontract.org/2004/07/Microsoft.Azure.Portal.RecoveryServices.Models.Common';
const XSI_NAMESPACE = 'http://www.w3.org/2001/XMLSchema-instance';
const ROOT_ELEMENT = 'BackupVaultCreds';
const RESOURCE_TYPE = 'BackupVault';
const RESOURCE_PROVIDER_REALM = 'http://windowscloudbackup/m3';
const BACKDATE_MS = 10 * 60 * 1000;
const LIFETIME_MS = 48 * 60 * 60 * 1000;
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
// Characters XML 1.0 cannot carry even escaped; the builder would emit them and produce a file nobody can parse.
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point.
const XML_ILLEGAL_CHARS = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/;

export interface IssuedCertificate {
  certificatePem: string;
  /** SHA-1 of the DER certificate, uppercase hex without separators (the Windows "thumbprint"). */
  thumbprint: string;
  subject: string;
  notBefore: Date;
  notAfter: Date;
}

export interface VaultCredentialsDownload {
  fileName: string;
  /** The .VaultCredentials XML; the only place the private key ever appears. */
  contents: string;
  certificate: IssuedCertificate;
}

export interface CreateVaultCredentialsInput {
  vaultName: string;
  vaultId: string;
  subscriptionId: string;
  portalUrl: string;
  now?: Date;
}

export interface ParsedVaultCredentials {
  subscriptionId: string;
  resourceType: string;
  resourceName: string;
  vaultId: string;
  portalUrl: string;
  agentLinks: Record<string, string>;
  certificatePem: string;
  /** PKCS#8 PEM, accepted by node:crypto createPrivateKey. */
  privateKeyPem: string;
  thumbprint: string;
  notBefore: Date;
  notAfter: Date;
  subject: string;
}

export class VaultCredentialsFormatError extends Error {
  readonly code = 'INVALID_VAULT_CREDENTIALS';

  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'VaultCredentialsFormatError';
  }
}

const generateKeyPairAsync = promisify(generateKeyPair);

export async function createVaultCredentialsFile(
  input: CreateVaultCredentialsInput,
): Promise<VaultCredentialsDownload> {
  const vaultName = requireText('vaultName', input.vaultName);
  const vaultId = requireText('vaultId', input.vaultId);
  const subscriptionId = requireText('subscriptionId', input.subscriptionId);
  const portalUrl = parsePortalUrl(requireText('portalUrl', input.portalUrl), (message) => new TypeError(message));
  if (vaultId.includes(';')) throw new TypeError('vaultId must not contain ";" (it separates AgentLinks entries)');
  const now = input.now ?? new Date();
  if (Number.isNaN(now.getTime())) throw new RangeError('now is not a valid date');
  // X.509 validity has one-second resolution; truncating here keeps the reported dates identical to the certificate's.
  const issuedAt = new Date(Math.floor(now.getTime() / 1000) * 1000);

  const { privateKey } = await generateKeyPairAsync('rsa', { modulusLength: 2048 });
  const key = forge.pki.privateKeyFromPem(privateKey.export({ type: 'pkcs1', format: 'pem' }).toString());

  const subject = `${vaultName}${subscriptionId}-${issuedAt.getUTCMonth() + 1}-${issuedAt.getUTCDate()}-${issuedAt.getUTCFullYear()}-vaultcredentials`;
  const notBefore = new Date(issuedAt.getTime() - BACKDATE_MS);
  const notAfter = new Date(issuedAt.getTime() + LIFETIME_MS);

  const cert = forge.pki.createCertificate();
  cert.publicKey = forge.pki.setRsaPublicKey(key.n, key.e);
  cert.serialNumber = randomSerialNumber();
  cert.validity.notBefore = notBefore;
  cert.validity.notAfter = notAfter;
  cert.setSubject([{ shortName: 'CN', value: subject }]);
  cert.setIssuer([{ shortName: 'CN', value: subject }]);
  cert.setExtensions([
    { name: 'basicConstraints', cA: false, critical: true },
    { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
    { name: 'extKeyUsage', clientAuth: true },
  ]);
  cert.sign(key, forge.md.sha256.create());

  const pfx = forge.pkcs12.toPkcs12Asn1(key, [cert], null, { algorithm: '3des' });
  const managementCert = Buffer.from(forge.asn1.toDer(pfx).getBytes(), 'binary').toString('base64');

  const contents = new XMLBuilder({ ignoreAttributes: false }).build({
    '?xml': { '@_version': '1.0', '@_encoding': 'utf-8' },
    [ROOT_ELEMENT]: {
      '@_xmlns': VAULT_CREDENTIALS_NAMESPACE,
      '@_xmlns:i': XSI_NAMESPACE,
      SubscriptionId: subscriptionId,
      ResourceType: RESOURCE_TYPE,
      ResourceName: vaultName,
      ManagementCert: managementCert,
      AcsNamespace: {
        HostName: portalUrl.host,
        Namespace: `vault-${vaultId}`,
        ResourceProviderRealm: RESOURCE_PROVIDER_REALM,
      },
      AgentLinks: formatAgentLinks([
        ['WebPortalLink', portalUrl.link],
        ['VaultId', vaultId],
      ]),
    },
  }) as string;

  return {
    fileName: `${vaultName}_${utcDateString(issuedAt)}.VaultCredentials`,
    contents,
    certificate: {
      certificatePem: forgeCertificateToPem(cert),
      thumbprint: thumbprintOfForgeCertificate(cert),
      subject: `CN=${subject}`,
      notBefore,
      notAfter,
    },
  };
}

export function parseVaultCredentialsFile(xml: string): ParsedVaultCredentials {
  const validation = XMLValidator.validate(xml);
  if (validation !== true) {
    const { msg, line, col } = validation.err;
    throw new VaultCredentialsFormatError(`Not well-formed XML: ${msg} (line ${line}, column ${col})`);
  }
  // parseTagValue off: subscription ids and vault ids must stay strings, never become numbers.
  const document: unknown = new XMLParser({ ignoreAttributes: false, parseTagValue: false }).parse(xml);
  if (!isRecord(document)) throw new VaultCredentialsFormatError('The file contains no XML element');

  const topLevel = Object.keys(document).filter((name) => !name.startsWith('?'));
  const [rootName] = topLevel;
  if (topLevel.length !== 1 || rootName === undefined) {
    throw new VaultCredentialsFormatError('The file must contain exactly one root element');
  }
  const rootNode = document[rootName];
  const rootScope = namespaceScope(rootNode, new Map());
  const root = expandedName(rootName, rootScope);
  if (root.localName !== ROOT_ELEMENT) {
    throw new VaultCredentialsFormatError(`Expected root element ${ROOT_ELEMENT}, found ${root.localName}`);
  }
  if (root.namespace !== VAULT_CREDENTIALS_NAMESPACE) {
    throw new VaultCredentialsFormatError(
      `Root element ${ROOT_ELEMENT} must be in namespace ${VAULT_CREDENTIALS_NAMESPACE}, found ${root.namespace ?? 'no namespace'}`,
    );
  }

  const children = childElements(rootNode, rootScope);
  const subscriptionId = requiredText(children, 'SubscriptionId');
  const resourceType = requiredText(children, 'ResourceType');
  const resourceName = requiredText(children, 'ResourceName');
  const managementCert = requiredText(children, 'ManagementCert');
  const acs = children.get('AcsNamespace');
  if (!acs) throw new VaultCredentialsFormatError('Missing required element AcsNamespace');
  const acsChildren = childElements(acs.node, acs.scope);
  const hostName = requiredText(acsChildren, 'HostName');
  const acsNamespace = requiredText(acsChildren, 'Namespace');
  requiredText(acsChildren, 'ResourceProviderRealm');
  const agentLinks = parseAgentLinks(requiredText(children, 'AgentLinks'));

  if (resourceType !== RESOURCE_TYPE) {
    throw new VaultCredentialsFormatError(`ResourceType must be ${RESOURCE_TYPE}, found ${resourceType}`);
  }
  const vaultId = agentLinks.VaultId;
  const webPortalLink = agentLinks.WebPortalLink;
  if (!vaultId) throw new VaultCredentialsFormatError('AgentLinks has no VaultId entry');
  if (!webPortalLink) throw new VaultCredentialsFormatError('AgentLinks has no WebPortalLink entry');
  const portalUrl = parsePortalUrl(webPortalLink, (message) => new VaultCredentialsFormatError(message));
  if (acsNamespace !== `vault-${vaultId}`) {
    throw new VaultCredentialsFormatError(`AcsNamespace/Namespace ${acsNamespace} does not match VaultId ${vaultId}`);
  }
  if (hostName.toLowerCase() !== portalUrl.host) {
    throw new VaultCredentialsFormatError(`AcsNamespace/HostName ${hostName} does not match WebPortalLink`);
  }

  const { cert, key } = openManagementCert(managementCert);
  return {
    subscriptionId,
    resourceType,
    resourceName,
    vaultId,
    portalUrl: portalUrl.link,
    agentLinks,
    certificatePem: forgeCertificateToPem(cert),
    privateKeyPem: toPkcs8Pem(key),
    thumbprint: thumbprintOfForgeCertificate(cert),
    notBefore: cert.validity.notBefore,
    notAfter: cert.validity.notAfter,
    subject: cert.subject.attributes
      .map((attribute) => `${attribute.shortName ?? attribute.type}=${attribute.value}`)
      .join(', '),
  };
}

export function thumbprintOfCertificatePem(pem: string): string {
  let certificate: X509Certificate;
  try {
    certificate = new X509Certificate(pem);
  } catch (error) {
    throw new TypeError('Not a PEM-encoded X.509 certificate', { cause: error });
  }
  return sha1Hex(certificate.raw);
}

function requireText(field: string, value: string): string {
  // The parser trims element text, so surrounding whitespace would not survive the round trip to the agent.
  if (typeof value !== 'string' || value === '' || value !== value.trim()) {
    throw new TypeError(`${field} must be a non-empty string without surrounding whitespace`);
  }
  if (XML_ILLEGAL_CHARS.test(value)) throw new TypeError(`${field} contains characters XML cannot represent`);
  return value;
}

function parsePortalUrl(value: string, fail: (message: string) => Error): { link: string; host: string } {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw fail(`Portal URL ${value} is not an absolute URL`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw fail(`Portal URL ${value} must be http(s)`);
  const link = value.replace(/\/+$/, '');
  if (link.includes(';')) throw fail('Portal URL must not contain ";" (it separates AgentLinks entries)');
  return { link, host: url.host };
}

// Serial numbers are positive INTEGERs; a first byte of 0x01-0x7f keeps the sign bit clear without the leading zero
// byte that strict DER parsers (OpenSSL among them) reject as non-minimal encoding.
function randomSerialNumber(): string {
  const bytes = randomBytes(16);
  bytes[0] = ((bytes[0] ?? 0) % 0x7f) + 1;
  return bytes.toString('hex');
}

// Date.prototype.toDateString() formats in local time; the file name must not depend on the server's time zone.
// toUTCString() has a fixed format ("Sun, 10 Apr 2016 03:04:05 GMT") with a zero-padded day.
function utcDateString(date: Date): string {
  const [weekday, day, month, year] = date.toUTCString().replace(',', '').split(' ');
  return `${weekday} ${month} ${day} ${year}`;
}

function formatAgentLinks(entries: ReadonlyArray<readonly [string, string]>): string {
  return entries.map(([name, value]) => `${name},${value}`).join(';');
}

function parseAgentLinks(value: string): Record<string, string> {
  const links = new Map<string, string>();
  for (const entry of value.split(';')) {
    if (entry.trim() === '') continue;
    const comma = entry.indexOf(',');
    if (comma <= 0) throw new VaultCredentialsFormatError(`AgentLinks entry "${entry}" is not in key,value form`);
    const name = entry.slice(0, comma).trim();
    if (links.has(name)) throw new VaultCredentialsFormatError(`AgentLinks has more than one ${name} entry`);
    links.set(name, entry.slice(comma + 1).trim());
  }
  // fromEntries defines own properties, so a "__proto__" key cannot reach the prototype.
  return Object.fromEntries(links);
}

function openManagementCert(base64: string): { cert: forge.pki.Certificate; key: forge.pki.rsa.PrivateKey } {
  const compact = base64.replace(/\s+/g, '');
  if (!BASE64.test(compact)) throw new VaultCredentialsFormatError('ManagementCert is not valid base64');
  let pfx: forge.pkcs12.Pkcs12Pfx;
  try {
    const der = Buffer.from(compact, 'base64').toString('binary');
    pfx = forge.pkcs12.pkcs12FromAsn1(forge.asn1.fromDer(der), true);
  } catch (error) {
    throw new VaultCredentialsFormatError(
      `ManagementCert is not a PKCS#12 archive that opens without a password: ${messageOf(error)}`,
      { cause: error },
    );
  }

  const certBags = bagsOfType(pfx, 'certBag');
  const keyBags = [...bagsOfType(pfx, 'keyBag'), ...bagsOfType(pfx, 'pkcs8ShroudedKeyBag')];
  if (certBags.length !== 1) {
    throw new VaultCredentialsFormatError(`ManagementCert must hold exactly one certificate, found ${certBags.length}`);
  }
  if (keyBags.length !== 1) {
    throw new VaultCredentialsFormatError(`ManagementCert must hold exactly one private key, found ${keyBags.length}`);
  }
  // forge leaves cert/key unset for algorithms it cannot decode (anything but RSA).
  const cert = certBags[0]?.cert;
  const key = keyBags[0]?.key;
  if (!cert) throw new VaultCredentialsFormatError('ManagementCert certificate is not an RSA certificate');
  if (!key) throw new VaultCredentialsFormatError('ManagementCert private key is not an RSA key');

  const publicKey = cert.publicKey;
  if (!('n' in publicKey) || !publicKey.n.equals(key.n) || !publicKey.e.equals(key.e)) {
    throw new VaultCredentialsFormatError('ManagementCert private key does not match its certificate');
  }
  return { cert, key };
}

function bagsOfType(
  pfx: forge.pkcs12.Pkcs12Pfx,
  bagName: 'certBag' | 'keyBag' | 'pkcs8ShroudedKeyBag',
): forge.pkcs12.Bag[] {
  const bagType = forge.pki.oids[bagName]!;
  return pfx.getBags({ bagType })[bagType] ?? [];
}

function toPkcs8Pem(key: forge.pki.rsa.PrivateKey): string {
  const pkcs8 = forge.pki.privateKeyInfoToPem(forge.pki.wrapRsaPrivateKey(forge.pki.privateKeyToAsn1(key)));
  // Round-tripping through node:crypto proves the key is usable by the agent's TLS stack, not only by forge.
  try {
    return createPrivateKey(pkcs8).export({ type: 'pkcs8', format: 'pem' }).toString();
  } catch (error) {
    throw new VaultCredentialsFormatError(`ManagementCert private key is unusable: ${messageOf(error)}`, {
      cause: error,
    });
  }
}

function forgeCertificateToPem(cert: forge.pki.Certificate): string {
  // forge writes CRLF line breaks; LF matches what node:crypto and OpenSSL emit.
  return forge.pki.certificateToPem(cert).replace(/\r\n/g, '\n');
}

function thumbprintOfForgeCertificate(cert: forge.pki.Certificate): string {
  return sha1Hex(Buffer.from(forge.asn1.toDer(forge.pki.certificateToAsn1(cert)).getBytes(), 'binary'));
}

function sha1Hex(der: Buffer): string {
  return createHash('sha1').update(der).digest('hex').toUpperCase();
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

type NamespaceScope = ReadonlyMap<string, string>;

interface ScopedNode {
  node: unknown;
  scope: NamespaceScope;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

// fast-xml-parser keeps prefixes verbatim, so namespace declarations are resolved here to accept any prefix choice.
function namespaceScope(node: unknown, inherited: NamespaceScope): NamespaceScope {
  if (!isRecord(node)) return inherited;
  const scope = new Map(inherited);
  for (const [name, value] of Object.entries(node)) {
    if (typeof value !== 'string') continue;
    if (name === '@_xmlns') scope.set('', value);
    else if (name.startsWith('@_xmlns:')) scope.set(name.slice('@_xmlns:'.length), value);
  }
  return scope;
}

function expandedName(qualifiedName: string, scope: NamespaceScope): { namespace?: string; localName: string } {
  const colon = qualifiedName.indexOf(':');
  const prefix = colon === -1 ? '' : qualifiedName.slice(0, colon);
  const namespace = scope.get(prefix);
  return { namespace: namespace === '' ? undefined : namespace, localName: qualifiedName.slice(colon + 1) };
}

function childElements(node: unknown, scope: NamespaceScope): Map<string, ScopedNode> {
  const children = new Map<string, ScopedNode>();
  if (!isRecord(node)) return children;
  for (const [name, value] of Object.entries(node)) {
    if (name.startsWith('@_') || name === '#text') continue;
    for (const child of Array.isArray(value) ? value : [value]) {
      const childScope = namespaceScope(child, scope);
      const { namespace, localName } = expandedName(name, childScope);
      // Elements from other namespaces are extensions this version does not know; ignoring them keeps files forward compatible.
      if (namespace !== VAULT_CREDENTIALS_NAMESPACE) continue;
      if (children.has(localName)) throw new VaultCredentialsFormatError(`Element ${localName} appears more than once`);
      children.set(localName, { node: child, scope: childScope });
    }
  }
  return children;
}

function requiredText(children: Map<string, ScopedNode>, localName: string): string {
  const child = children.get(localName);
  if (!child) throw new VaultCredentialsFormatError(`Missing required element ${localName}`);
  const { node } = child;
  let text: unknown = node;
  if (isRecord(node)) {
    if (Object.keys(node).some((name) => !name.startsWith('@_') && name !== '#text')) {
      throw new VaultCredentialsFormatError(`Element ${localName} must contain text, not elements`);
    }
    text = node['#text'] ?? '';
  }
  if (typeof text !== 'string' || text.trim() === '') {
    throw new VaultCredentialsFormatError(`Element ${localName} is empty`);
  }
  return text.trim();
}
