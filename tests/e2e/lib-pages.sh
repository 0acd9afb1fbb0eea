# tests/e2e/lib-pages.sh: what the page tests of reported mail share (sourced
# after lib.sh, with URL and PW set): GET and form POST with a cookie jar
# (the body in $TEST_DIR/body, the headers in $TEST_DIR/hdr, the status
# printed), the page's CSRF token, checks on the body, and signing in.
get() {
	local path=$1 jar=$2; shift 2
	curl -sS -b "$jar" -c "$jar" -D "$TEST_DIR/hdr" -o "$TEST_DIR/body" -w "%{http_code}" "$@" "$URL$path"
}
post() {
	local path=$1 jar=$2 args=(); shift 2
	for f in "$@"; do args+=(--data-urlencode "$f"); done
	curl -sS -b "$jar" -c "$jar" -D "$TEST_DIR/hdr" -o "$TEST_DIR/body" -w "%{http_code}" \
		"${args[@]}" "$URL$path"
}
csrf() { grep -o 'name="csrf" value="[^"]*"' "$TEST_DIR/body" | head -1 | sed 's/.*value="//;s/"$//'; }
body_has() { grep -qF -- "$1" "$TEST_DIR/body" || { echo "page lacks '$1':"; head -c 3000 "$TEST_DIR/body"; return 1; }; }
body_lacks() { ! grep -qF -- "$1" "$TEST_DIR/body" || { echo "page has '$1'"; return 1; }; }
# signin USER JAR: sign USER (password $PW) in, the session in JAR.
signin() {
	rm -f "$2"
	[ "$(get /login "$2")" = 200 ] || return 1
	[ "$(post /login "$2" "csrf=$(csrf)" "username=$1" "password=$PW" next=/)" = 303 ]
}
