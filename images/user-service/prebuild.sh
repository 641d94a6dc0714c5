#!/usr/bin/env bash
# prebuild.sh <context-dir>: the Spring Boot jar, unpacked (app.jar + lib/), into
# <context-dir>/.prebuilt/app/; unpacked here, the image holds no copy of the fat jar.
# Maven runs on the build machine with its repository in $CLOUDMART_LAB_CACHE/maven: offline when
# that is warm, online (Maven Central) only when something is missing. It builds in a scratch
# folder so that no target/ lands in the Docker build context.
set -euo pipefail
context=$(cd "${1:?usage: prebuild.sh <context-dir>}" && pwd)
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo="${CLOUDMART_LAB_CACHE:-/var/cache/cloudmart-lab}/maven"
command -v mvn >/dev/null || { echo "prebuild: mvn is missing (Debian package maven)" >&2; exit 1; }

scratch=$(mktemp -d "${TMPDIR:-/tmp}/user-service-build.XXXXXX")
trap 'rm -rf "$scratch"' EXIT
cp -r "$here/pom.xml" "$here/src" "$scratch/"

mvn_package() {
  mvn -B -q -f "$scratch/pom.xml" -Dmaven.repo.local="$repo" -DskipTests "$@" package
}
if ! mvn_package -o 2>"$scratch/offline.log"; then
  echo "prebuild: offline Maven build failed, retrying online (cold cache?)" >&2
  mvn_package
fi

rm -rf "$context/.prebuilt/app"
mkdir -p "$context/.prebuilt"
java -Djarmode=tools -jar "$scratch/target/app.jar" extract --destination "$context/.prebuilt/app"
