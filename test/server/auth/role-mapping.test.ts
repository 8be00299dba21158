import { describe, expect, it } from "vitest";
import { assignRole, groupsFromClaim } from "../../../server/auth/role-mapping";

const MAPPING = {
  adminGroups: ["gpu-admins"],
  analystGroups: ["finance"],
  teamGroups: new Map([
    ["team-vision", ["vision"]],
    ["team-ml", ["nlp", "speech"]],
  ]),
};

describe("assignRole", () => {
  it("gives the strongest role a user's groups map to", () => {
    expect(assignRole(["team-vision", "gpu-admins"], MAPPING)).toEqual({ role: "admin", teams: [] });
    expect(assignRole(["team-vision", "finance"], MAPPING)).toEqual({ role: "analyst", teams: [] });
  });

  it("makes a member of every team their groups map to, sorted and once each", () => {
    expect(assignRole(["team-ml", "team-vision", "team-ml", "all-staff"], MAPPING)).toEqual({ role: "member", teams: ["nlp", "speech", "vision"] });
  });

  it("gives no role to groups that map to nothing, or to no groups, saying why", () => {
    expect(assignRole(["marketing"], MAPPING)).toEqual({ role: null, reason: 'none of the groups "marketing" is mapped to a gpu-roi role or team' });
    expect(assignRole([], MAPPING)).toEqual({ role: null, reason: "the sign-in carried no groups" });
  });
});

describe("groupsFromClaim", () => {
  it("reads a list of strings or a single string, and nothing else", () => {
    expect(groupsFromClaim(["a", 3, "b"])).toEqual(["a", "b"]);
    expect(groupsFromClaim("a")).toEqual(["a"]);
    expect(groupsFromClaim(undefined)).toEqual([]);
    expect(groupsFromClaim({ a: 1 })).toEqual([]);
  });
});
