// Validates CloudNativePG resources (JSON array on stdin) against the schemas generated from the CRDs;
// prints a JSON array of problems. Run from .data/validators (scripts/install-validators.sh).
import { readFileSync } from "node:fs";
import { Cluster, ScheduledBackup } from "@kubernetes-models/cloudnative-pg/postgresql.cnpg.io/v1";

const models = { Cluster, ScheduledBackup };
const problems = [];
for (const doc of JSON.parse(readFileSync(0, "utf8"))) {
  const Model = models[doc.kind];
  if (!Model) {
    problems.push(`${doc.kind}/${doc.metadata?.name}: no schema for this kind`);
    continue;
  }
  try {
    new Model(doc).validate();
  } catch (error) {
    problems.push(`${doc.kind}/${doc.metadata?.name}: ${error.message}`);
  }
}
console.log(JSON.stringify(problems));
