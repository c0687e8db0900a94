"""The official MCP Python SDK client against both transports: the worker in workerd (Streamable
HTTP) and the native binary (stdio, started by the client as a child process), in both protocol
eras: `legacy` (initialize handshake) and `auto` (probes server/discover, so it speaks 2026-07-28)."""

import asyncio
import os
import re

import pytest
from mcp import Client
from mcp.client.stdio import StdioServerParameters
from mcp.client.streamable_http import streamable_http_client
from mcp.shared._httpx_utils import create_mcp_http_client
from mcp.types import PromptReference

ORIGIN = os.environ["MCP_ORIGIN"]
EMULATOR_URL = os.environ["EMULATOR_URL"]
STDIO_BIN = os.environ["SENTRY_MCP_BIN"]
TOKEN = "sntryu_e2e_valid_token_0123456789abcdef"
TRACE = "a3f1c2d4e5b64798a0b1c2d3e4f50617"
TRANSPORTS = ["http", "stdio"]

CALLS = [
    ("whoami", {}, "Jane Doe"),
    ("find_organizations", {}, "acme"),
    ("find_projects", {"organizationSlug": "acme"}, "web-frontend"),
    ("search_issues", {"organizationSlug": "acme", "limit": 3}, "## 1."),
    ("get_issue_details", {"organizationSlug": "acme", "issueId": "API-SERVER-2A"}, "OperationalError"),
    ("search_events", {"organizationSlug": "acme", "dataset": "spans", "fields": ["span.op", "count()"]}, "count()"),
    ("get_sentry_resource", {"url": f"https://acme.sentry.io/explore/traces/trace/{TRACE}/"}, f"# Trace {TRACE}"),
    ("find_monitors", {"organizationSlug": "acme", "kind": "uptime"}, "API health"),
]


def text_of(result) -> str:
    return "\n".join(c.text for c in result.content if getattr(c, "type", "") == "text")


def stdio_server(path: str) -> StdioServerParameters:
    """The binary with the flags that mean what the HTTP path means (`/mcp/acme` → --organization-slug=acme)."""
    args = [f"--access-token={TOKEN}", f"--url={EMULATOR_URL}", "--insecure-http"]
    scope = [p for p in path.split("/") if p][1:]
    args += [f"--{flag}={value}" for flag, value in zip(["organization-slug", "project-slug"], scope)]
    env = {"SENTRY_ALLOWED_REGION_DOMAINS": "127.0.0.2", "SENTRY_API_TIMEOUT_MS": "2000"}
    return StdioServerParameters(command=STDIO_BIN, args=args, env=env)


async def with_client(transport: str, mode: str, body, path: str = "/mcp"):
    if transport == "stdio":
        async with Client(stdio_server(path), mode=mode) as client:
            return await body(client)
    http = create_mcp_http_client(headers={"Authorization": f"Sentry-Bearer {TOKEN}"})
    async with http:
        async with Client(streamable_http_client(f"{ORIGIN}{path}", http_client=http), mode=mode) as client:
            return await body(client)


@pytest.mark.parametrize("transport", TRANSPORTS)
@pytest.mark.parametrize("mode", ["legacy", "auto"])
def test_lists_and_calls_every_tool(transport, mode):
    async def body(client):
        tools = await client.list_tools()
        names = [t.name for t in tools.tools]
        assert len(names) == 40 and set(c[0] for c in CALLS) <= set(names)
        for name, args, expected in CALLS:
            result = await client.call_tool(name, args)
            text = text_of(result)
            assert not result.is_error, f"{name}: {text}"
            assert expected in text, f"{name}: {text[:500]}"
        return client.session.protocol_version

    version = asyncio.run(with_client(transport, mode, body))
    assert version == ("2025-11-25" if mode == "legacy" else "2026-07-28")


@pytest.mark.parametrize("transport", TRANSPORTS)
@pytest.mark.parametrize("mode", ["legacy", "auto"])
def test_failures_are_tool_errors(transport, mode):
    async def body(client):
        missing = await client.call_tool("get_issue_details", {"organizationSlug": "acme", "issueId": "NOPE-1"})
        assert missing.is_error and "HTTP 404" in text_of(missing)
        slow = await client.call_tool("search_issues", {"organizationSlug": "fault-500"})
        assert slow.is_error and "HTTP 500" in text_of(slow)
        bad = await client.call_tool("search_issues", {"organizationSlug": "acme", "limit": 0})
        assert bad.is_error and "'limit'" in text_of(bad)

    asyncio.run(with_client(transport, mode, body))


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_org_constraint_removes_the_parameter(transport):
    async def body(client):
        tools = await client.list_tools()
        names = [t.name for t in tools.tools]
        assert "find_organizations" not in names
        search = next(t for t in tools.tools if t.name == "search_issues")
        assert "organizationSlug" not in search.input_schema.get("properties", {})
        result = await client.call_tool("search_issues", {"limit": 2})
        assert "Issues in **acme**" in text_of(result)

    asyncio.run(with_client(transport, "legacy", body, path="/mcp/acme"))


def test_legacy_sse_transport():
    """The legacy HTTP+SSE transport (GET /sse, POST to the endpoint event's URL) with the SDK's
    sse_client: the same tools and answers as /mcp, and the org constraint of /sse/acme."""
    from mcp.client.sse import sse_client

    async def run():
        headers = {"Authorization": f"Sentry-Bearer {TOKEN}"}
        async with Client(sse_client(f"{ORIGIN}/sse", headers=headers), mode="legacy") as client:
            tools = await client.list_tools()
            assert len(tools.tools) == 40
            for name, args, expected in CALLS[:5]:
                result = await client.call_tool(name, args)
                assert not result.is_error, f"{name}: {text_of(result)}"
                assert expected in text_of(result), f"{name}: {text_of(result)[:500]}"
        async with Client(sse_client(f"{ORIGIN}/sse/acme", headers=headers), mode="legacy") as client:
            search = next(t for t in (await client.list_tools()).tools if t.name == "search_issues")
            assert "organizationSlug" not in search.input_schema.get("properties", {})
            result = await client.call_tool("search_issues", {"limit": 2})
            assert "Issues in **acme**" in text_of(result)

    asyncio.run(run())


@pytest.mark.parametrize("transport", TRANSPORTS)
@pytest.mark.parametrize("mode", ["legacy", "auto"])
def test_prompts_resources_and_completions(transport, mode):
    """The recipes, @-mentionable resources and argument completion (#13), through the Python client."""

    async def body(client):
        prompts = await client.list_prompts()
        assert [p.name for p in prompts.prompts] == ["fix_issue", "triage_new_issues", "explain_trace"]
        got = await client.get_prompt("fix_issue", {"issue": "https://acme.sentry.io/issues/WEB-FRONTEND-7K/"})
        text = got.messages[0].content.text
        assert 'get_issue_details with organizationSlug "acme" and issueId "WEB-FRONTEND-7K"' in text, text

        templates = await client.list_resource_templates()
        assert "sentry://{organizationSlug}/traces/{traceId}" in [t.uri_template for t in templates.resource_templates]
        listed = await client.list_resources()
        uris = [str(r.uri) for r in listed.resources]
        assert "sentry://acme/issues/WEB-FRONTEND-7K" in uris, uris
        read = await client.read_resource("sentry://acme/issues/WEB-FRONTEND-7K")
        tool = await client.call_tool("get_issue_details", {"organizationSlug": "acme", "issueId": "WEB-FRONTEND-7K"})
        strip = lambda t: re.sub(r"untrusted-data-[0-9a-f]{16}", "untrusted-data-N", t)  # noqa: E731
        assert strip(read.contents[0].text) == strip(text_of(tool))

        done = await client.complete(
            PromptReference(type="ref/prompt", name="fix_issue"),
            {"name": "issue", "value": "WEB-FRONTEND"},
            {"organizationSlug": "acme"},
        )
        assert "WEB-FRONTEND-7K" in done.completion.values, done.completion.values

    asyncio.run(with_client(transport, mode, body))
