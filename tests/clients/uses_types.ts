// A small program against the TypeScript types generated from openapi/openapi.json (openapi-typescript),
// compiled with `tsc --strict` by the client test.
import type { components, paths } from "./api";

type Enroll = paths["/api/v1/enrollment/enrollments"]["post"];
type CreateBody = Enroll["requestBody"]["content"]["application/json"];
type Created = Enroll["responses"][201]["content"]["application/json"];
type Refused = Enroll["responses"][409]["content"]["application/problem+json"];
type Round = components["schemas"]["RoundPublic"];

export const body: CreateBody = { session_id: "5d1c9a0e-8f3b-4c27-9a41-2b7e6f0d3c18" };

export function describe(created: Created): string {
  return `${created.status} ${created.id}`;
}

export function refusal(problem: Refused): string {
  return `${problem.type}: ${problem.title}`;
}

export function groupCount(round: Round): number {
  return round.groups.length;
}

type Mine = paths["/api/v1/enrollment/enrollments/mine"]["get"];
type MinePage = Mine["responses"][200]["content"]["application/json"];
type MineQuery = NonNullable<Mine["parameters"]["query"]>;

export function nextPage(page: MinePage): MineQuery | null {
  return page.next_cursor === null ? null : { cursor: page.next_cursor, limit: 100 };
}

export function titles(page: MinePage): string[] {
  return page.items.map((enrollment) => enrollment.offering_title);
}
