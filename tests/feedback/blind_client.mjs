// The intranet's half of anonymous answering, with the package a browser would use
// (@cloudflare/blindrsa-ts, RFC 9474 RSABSSA-SHA384-PSS-Randomized) on Node's WebCrypto.
// Reads one JSON step from stdin, writes the result as JSON:
//   {"step": "blind", "public_key"}                                   -> {"token", "blinded_message", "inv"}
//   {"step": "finalize", "public_key", "token", "blind_signature", "inv"} -> {"signature"}
// Binary values are base64url, as the API has them. BLINDRSA names the package's entry module.
import { pathToFileURL } from "node:url";

const { RSABSSA } = await import(pathToFileURL(process.env.BLINDRSA).href);
const suite = RSABSSA.SHA384.PSS.Randomized();

const bytes = (text) => new Uint8Array(Buffer.from(text, "base64url"));
const text = (data) => Buffer.from(data).toString("base64url");

let input = "";
for await (const chunk of process.stdin) input += chunk;
const step = JSON.parse(input);
const publicKey = await crypto.subtle.importKey(
  "spki",
  bytes(step.public_key),
  { name: "RSA-PSS", hash: "SHA-384" },
  true,
  ["verify"],
);

if (step.step === "blind") {
  const token = suite.prepare(crypto.getRandomValues(new Uint8Array(32)));
  const { blindedMsg, inv } = await suite.blind(publicKey, token);
  console.log(JSON.stringify({ token: text(token), blinded_message: text(blindedMsg), inv: text(inv) }));
} else {
  const signature = await suite.finalize(
    publicKey,
    bytes(step.token),
    bytes(step.blind_signature),
    bytes(step.inv),
  );
  console.log(JSON.stringify({ signature: text(signature) }));
}
