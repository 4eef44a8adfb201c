// Receives Openflex dispatch messages: checks each signature, answers at once, and acts on
// each message once, however often it is retried.
//
//     npm install standardwebhooks
//     OPENFLEX_SIGNING_SECRET=whsec_... node receive_dispatches.js 8000
//
// Openflex posts to {base url}/dispatch, so with the base URL https://fsp.example/openflex
// this serves https://fsp.example/openflex/dispatch behind your TLS proxy.

const http = require("node:http");
const { Webhook } = require("standardwebhooks");

const webhook = new Webhook(process.env.OPENFLEX_SIGNING_SECRET);
// Keep these in your database: a retry can arrive after a restart.
const handled = new Set();

function actOn(message) {
  // Your system's part: start or stop the units, or plan from a schedule.
  if (message.test) return; // Dispatch V2 Testing: check and answer, never act.
  console.log("act on", message.instruction, message.dispatch_id);
}

const server = http.createServer((request, response) => {
  if (request.method !== "POST" || !request.url.endsWith("/dispatch")) {
    response.writeHead(404).end();
    return;
  }
  const chunks = [];
  request.on("data", (chunk) => chunks.push(chunk));
  request.on("end", () => {
    // The raw bytes, exactly as received: a re-encoded body would not verify.
    const body = Buffer.concat(chunks);
    let message;
    try {
      message = webhook.verify(body, request.headers);
    } catch (error) {
      console.log("refused:", error.message);
      response.writeHead(401).end();
      return;
    }
    // Answer within 10 s, before the work: a slow answer is retried.
    response.writeHead(204).end();
    const webhookId = request.headers["webhook-id"];
    if (handled.has(webhookId)) return;
    handled.add(webhookId);
    console.log("verified", message.type, webhookId, JSON.stringify(message));
    actOn(message);
  });
});

const port = Number(process.argv[2] ?? 8000);
server.listen(port, "127.0.0.1", () => {
  console.log(`listening on http://127.0.0.1:${port}/dispatch`);
});
