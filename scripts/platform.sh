#!/usr/bin/env bash
# Prints this machine's JavaCPP platform name (linux-x86_64, linux-arm64, macosx-arm64): the classifier of the
# native jar a build here makes.
case "$(uname -s)-$(uname -m)" in
  Linux-x86_64) echo linux-x86_64 ;;
  Linux-aarch64) echo linux-arm64 ;;
  Darwin-arm64) echo macosx-arm64 ;;
  *) echo "platform.sh: no native build for $(uname -s) $(uname -m)" >&2; exit 1 ;;
esac
