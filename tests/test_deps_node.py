"""AG402 npm-glibc-binary and AG403 node-native-no-toolchain, offline."""
from __future__ import annotations

import json

from deps_helpers import at, lint_context

PACKAGE_LOCK = json.dumps({"name": "app", "lockfileVersion": 3, "packages": {
    "": {"name": "app", "dependencies": {"@mermaid-js/mermaid-cli": "^11"}},
    "node_modules/@mermaid-js/mermaid-cli": {"version": "11.4.0"},
    "node_modules/puppeteer": {"version": "23.9.0", "hasInstallScript": True},
    "node_modules/sharp": {"version": "0.33.5"},
    "node_modules/canvas": {"version": "2.11.2", "dev": True, "hasInstallScript": True},
}}, indent=2)


def test_transitive_puppeteer_from_package_lock(tmp_path):
    findings = lint_context(tmp_path, """\
        FROM node:22-alpine
        WORKDIR /app
        COPY package.json package-lock.json ./
        RUN npm ci --omit=dev
        """, {"package.json": "{}", "package-lock.json": PACKAGE_LOCK})
    assert at(findings) == [("AG402", 4, 9, "error")]
    assert findings[0].message.startswith("puppeteer 23.9.0 (package-lock.json:14) downloads Chrome")


def test_dev_dependency_counts_without_omit(tmp_path):
    findings = lint_context(tmp_path, "FROM node:22-alpine\nCOPY . /app\nWORKDIR /app\nRUN npm ci\n",
                            {"package-lock.json": PACKAGE_LOCK})
    assert at(findings) == [("AG402", 4, 9, "error"), ("AG403", 4, 9, "error")]
    assert "canvas 2.11.2 (package-lock.json:21)" in findings[1].message


def test_puppeteer_workaround_in_place(tmp_path):
    findings = lint_context(tmp_path, """\
        FROM node:22-alpine
        ENV PUPPETEER_SKIP_DOWNLOAD=true \\
            PUPPETEER_EXECUTABLE_PATH=/usr/bin/chromium-browser
        RUN apk add --no-cache chromium nss freetype harfbuzz ttf-freefont
        RUN npm install puppeteer@23.9.0
        """)
    assert findings == []


def test_skip_variable_as_command_prefix_and_export(tmp_path):
    for run in ("PUPPETEER_SKIP_DOWNLOAD=1 npm install puppeteer", "export PUPPETEER_SKIP_DOWNLOAD=1 && npm i puppeteer"):
        findings = lint_context(tmp_path, f"FROM node:22-alpine\nRUN apk add chromium\nRUN {run}\n")
        assert findings == [], run


def test_skip_without_chromium_is_still_reported(tmp_path):
    findings = lint_context(tmp_path, "FROM node:22-alpine\nRUN PUPPETEER_SKIP_DOWNLOAD=1 npm install puppeteer\n")
    assert at(findings) == [("AG402", 2, 43, "error")]
    assert "chromium is not installed" in findings[0].message


def test_playwright_install_and_yarn_global(tmp_path):
    findings = lint_context(tmp_path, "FROM node:20-alpine\nRUN yarn global add electron@41 && npx -y playwright install chromium\n")
    assert at(findings) == [("AG402", 2, 21, "error"), ("AG402", 2, 54, "error")]


def test_wolfi_is_not_checked(tmp_path):
    assert lint_context(tmp_path, "FROM cgr.dev/chainguard/node:latest-dev\nRUN npm install puppeteer canvas@2\n") == []


def test_native_build_without_toolchain_yarn_lock(tmp_path):
    yarn_lock = """
        # yarn lockfile v1

        canvas@^2.11.0:
          version "2.11.2"
          resolved "https://example.org/canvas-2.11.2.tgz"

        "sharp@^0.33.0":
          version "0.33.5"
        """
    findings = lint_context(tmp_path, "FROM node:22-alpine\nCOPY yarn.lock package.json ./\nRUN yarn install --frozen-lockfile\n",
                            {"yarn.lock": yarn_lock, "package.json": "{}"})
    assert at(findings) == [("AG403", 3, 10, "error")]
    assert findings[0].message.startswith("canvas 2.11.2 (yarn.lock:3)") and "cairo-dev" in findings[0].message


def test_native_build_pnpm_lock_and_toolchain_present(tmp_path):
    pnpm_lock = """
        lockfileVersion: '9.0'
        packages:
          node-rdkafka@3.1.1:
            resolution: {integrity: sha512-x}
          '@grpc/grpc-js@1.12.2':
            resolution: {integrity: sha512-y}
        """
    files = {"pnpm-lock.yaml": pnpm_lock, "package.json": "{}"}
    findings = lint_context(tmp_path, "FROM node:22-alpine\nCOPY . .\nRUN pnpm install --frozen-lockfile\n", files)
    assert at(findings) == [("AG403", 3, 10, "error")] and "node-rdkafka 3.1.1 (pnpm-lock.yaml:3)" in findings[0].message
    findings = lint_context(tmp_path, """\
        FROM node:22-alpine
        COPY . .
        RUN apk add --no-cache --virtual .gyp python3 make g++ && pnpm install && apk del .gyp
        """, files)
    assert findings == []


def test_arm64_only_native_build_is_named(tmp_path):
    findings = lint_context(tmp_path, "FROM node:22-alpine\nRUN npm install utf-8-validate@6.0.6\n")
    assert at(findings) == [("AG403", 2, 17, "error")] and " on arm64," in findings[0].message
    assert lint_context(tmp_path, "FROM node:22-alpine\nRUN npm install utf-8-validate@6.0.6\n",
                        platforms=("linux/amd64",)) == []


def test_version_aware_bcrypt(tmp_path):
    assert at(lint_context(tmp_path, "FROM node:22-alpine\nRUN npm install bcrypt@3.0.8\n")) == [("AG403", 2, 17, "error")]
    # 4.x and 5.x download a musl x64 binary; arm64 is unverified, so not reported
    assert lint_context(tmp_path, "FROM node:22-alpine\nRUN npm install bcrypt@5.1.1\n") == []
    assert lint_context(tmp_path, "FROM node:22-alpine\nRUN npm install bcrypt@6.0.0 sharp esbuild\n") == []


def test_package_json_without_lock(tmp_path):
    manifest = json.dumps({"dependencies": {"node-sass": "^9.0.0"}, "devDependencies": {"cypress": "^13"}}, indent=2)
    findings = lint_context(tmp_path, "FROM node:22-alpine\nCOPY package.json .\nRUN npm install --production\n",
                            {"package.json": manifest})
    assert at(findings) == [("AG403", 3, 9, "error")] and "node-sass 9.0.0 (package.json:3)" in findings[0].message


# -- the cases issue 15 lists

def test_prebuilds_for_x64_musl_but_not_arm64(tmp_path):
    findings = lint_context(tmp_path, "FROM node:22-alpine\nRUN npm install utf-8-validate@6.0.6 node-hid@3.4.0\n")
    assert [f.message.split(" compiles")[0].split(" ships")[0] for f in findings] == ["utf-8-validate@6.0.6",
                                                                                       "node-hid@3.4.0"]
    assert all(" on arm64, but python3, make, g++ are not installed" in f.message for f in findings)
    amd64 = lint_context(tmp_path, "FROM node:22-alpine\nRUN npm install utf-8-validate@6.0.6 node-hid@3.4.0\n",
                         platforms=("linux/amd64",))
    assert amd64 == []


def test_prebuilds_only_for_some_node_versions(tmp_path):
    dockerfile = "FROM node:{}-alpine\nRUN npm install node-sass@9.0.0\n"
    built = lint_context(tmp_path, dockerfile.format(22), platforms=("linux/amd64",))
    assert at(built) == [("AG403", 2, 17, "error")]
    assert lint_context(tmp_path, dockerfile.format(20), platforms=("linux/amd64",)) == []  # a musl binding exists
    assert at(lint_context(tmp_path, dockerfile.format(20), platforms=("linux/arm64",))) == [("AG403", 2, 17, "error")]
    # node:alpine does not say which Node: no claim either way
    assert lint_context(tmp_path, "FROM node:alpine\nRUN npm install node-sass@9.0.0\n", platforms=("linux/amd64",)) == []


def test_package_that_dropped_its_install_script(tmp_path):
    assert at(lint_context(tmp_path, "FROM node:22-alpine\nRUN npm install playwright@1.37.0\n")) == [
        ("AG402", 2, 17, "error")]
    assert lint_context(tmp_path, "FROM node:22-alpine\nRUN npm install playwright@1.38.0 electron@42.0.0\n") == []


def test_glibc_only_prebuilds_per_readme_are_reported(tmp_path):
    findings = lint_context(tmp_path, "FROM node:22-alpine\nRUN npm install canvas@3.1.0 kerberos@7.0.0 isolated-vm@6\n")
    assert [f.rule for f in findings] == ["AG403"] * 3


def test_untagged_glibc_prebuilds_compile_and_glibc_only_platform_packages_are_reported(tmp_path):
    """Facts read from the tarballs (tools/audit_npm.py): node-gyp-build loads an untagged
    prebuild on musl, fails on a glibc one and compiles; a platform package linked
    against glibc only does not load."""
    both = lint_context(tmp_path, "FROM node:22-alpine\nRUN npm install leveldown@6.1.1 bufferutil@4.1.0 "
                                  "tree-sitter@0.25.1 @lydell/node-pty@1.1.0\n")
    assert sorted((f.rule, f.message.split(" ")[0]) for f in both) == [
        ("AG402", "@lydell/node-pty@1.1.0"), ("AG403", "bufferutil@4.1.0"), ("AG403", "leveldown@6.1.1"),
        ("AG403", "tree-sitter@0.25.1")]
    assert " on arm64," in next(f.message for f in both if f.message.startswith("leveldown"))
    amd64 = lint_context(tmp_path, "FROM node:22-alpine\nRUN npm install leveldown@6.1.1 classic-level@3.0.0 "
                                   "lmdb@3.5.6 msgpackr-extract@3.0.7\n", platforms=("linux/amd64",))
    assert amd64 == []  # musl prebuilds for x64; lmdb and msgpackr-extract ship musl builds


def test_prerelease_version_is_kept_whole(tmp_path):
    # bcrypt 6 ships musl prebuilds; a 6.0.0 pre-release is older than 6.0.0 and falls in the 4.x-5.x range
    findings = lint_context(tmp_path, "FROM node:22-alpine\nRUN npm install bcrypt@6.0.0-beta.17\n",
                            platforms=("linux/amd64",))
    assert findings == []
    assert lint_context(tmp_path, "FROM node:22-alpine\nRUN npm install bcrypt@6.0.0\n") == []


def test_python2_for_old_node_gyp_counts_as_python(tmp_path):
    dockerfile = "FROM node:11.14.0-alpine\nRUN apk add --no-cache python make g++ && npm install node-sass\n"
    assert lint_context(tmp_path, dockerfile) == []


def _rule_and_package(findings):
    return sorted((f.rule, f.message.split(" ")[0]) for f in findings)


def test_packages_only_the_registry_scan_knows_are_reported_release_by_release(tmp_path):
    """musl_node_scanned.yaml (tools/scan_npm_native.py): mmmagic's install script is
    `node-gyp rebuild`; glob-hasher has linux platform packages for glibc only;
    murmurhash-native ships a binding.gyp before 3.2.1, and its later releases download
    (undetermined: nothing is said)."""
    findings = lint_context(tmp_path, "FROM node:22-alpine\nRUN npm install mmmagic@0.5.3 glob-hasher@1.4.2\n"
                                      "RUN npm install murmurhash-native@1.0.1\nRUN npm install murmurhash-native@3.5.1\n")
    assert _rule_and_package(findings) == [("AG402", "glob-hasher@1.4.2"), ("AG403", "mmmagic@0.5.3"),
                                           ("AG403", "murmurhash-native@1.0.1")]
    assert "compiles its native addon with node-gyp on musl" in next(f.message for f in findings if "mmmagic" in f.message)


def test_the_scan_answers_for_the_releases_the_hand_kept_facts_leave_out(tmp_path):
    # musl_node.yaml: ffi-napi compiles from 4.0.3 (read by hand); the scan read 3.1.0 too
    assert _rule_and_package(lint_context(tmp_path, "FROM node:22-alpine\nRUN npm install ffi-napi@3.1.0\n")) == [
        ("AG403", "ffi-napi@3.1.0")]
    # musl_node.yaml: msgpackr-extract ships musl builds from 3.0.0; before, the scan finds
    # ABI-tagged prebuilds, none for Node 22 on musl: a verdict for Node 22 only
    source = "RUN npm install msgpackr-extract@1.0.16\n"
    assert _rule_and_package(lint_context(tmp_path, "FROM node:22-alpine\n" + source)) == [
        ("AG403", "msgpackr-extract@1.0.16")]
    assert lint_context(tmp_path, "FROM node:20-alpine\n" + source) == []
    assert lint_context(tmp_path, "FROM node:22-alpine\nRUN npm install msgpackr-extract@3.0.7\n") == []


def test_hand_kept_facts_win_over_the_scan_where_they_speak(tmp_path):
    """The scan reads next 11.1.x as glibc-only (no musl SWC package yet), but next falls back
    to Babel; google-closure-compiler falls back to its Java build: both kept by hand."""
    assert lint_context(tmp_path, "FROM node:22-alpine\nRUN npm install next@11.1.2 "
                                  "google-closure-compiler@20210505.0.0\n") == []


def test_a_linux_binary_of_another_package_in_optional_dependencies_is_not_the_packages_own(tmp_path):
    # @anaralabs/lector (a React component) lists @rollup/rollup-linux-x64-gnu as optional
    assert lint_context(tmp_path, "FROM node:22-alpine\nRUN npm install @anaralabs/lector@3.8.0\n") == []
