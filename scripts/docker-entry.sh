#!/bin/sh
# The container's entry: creates the vault at $AIEMP_VAULT the first time, then runs aiemp with the
# container's command (`start` by default) in its place, so signals reach it directly.
set -eu
vault=${AIEMP_VAULT:-/vault}
if [ ! -f "$vault/aiemp.yaml" ]; then
  echo "aiemp-entry: no vault in $vault yet; creating it"
  aiemp vault init --path "$vault"
fi
exec aiemp "$@"
