# Throwaway PostgreSQL cluster for tests and the quickstart (sourced, POSIX sh).
#
#   pd_pg_start DIR   initdb + start a cluster in DIR, unix socket only, owned by
#                     the unprivileged user postdesk-pg (PostgreSQL refuses root);
#                     exports PGHOST=DIR PGPORT PGUSER=postdesk PGDATABASE=postgres
#   pd_pg_stop DIR    stop it (fast mode)
#   PD_PG_OPTIONS     more server settings for pd_pg_start ("-c name=value ...",
#                     e.g. the benchmark's checkpoint spacing)
#   PD_PG_PEERS       more system users who may connect (default: postdesk-test,
#                     the user pipe(8) runs `postdesk deliver` as in
#                     tests/integration/test_postfix_pipe.py)
# Durable like production: fsync and synchronous_commit stay on.
# Private: only the caller (root when run as root) and PD_PG_PEERS connect,
# by peer authentication (the kernel's word for the connecting user) mapped
# to the database user postdesk; every other local user is refused, though
# the socket is in a world-readable directory and --keep keeps the data.

pd_pg_bindir() {
	for d in /usr/lib/postgresql/*/bin; do
		[ -x "$d/pg_ctl" ] && { echo "$d"; return 0; }
	done
	dirname "$(command -v pg_ctl)"
}

pd_pg_start() {
	dir=$1
	bindir=$(pd_pg_bindir)
	pguser=postdesk-pg
	if [ "$(id -u)" -eq 0 ]; then
		id "$pguser" >/dev/null 2>&1 ||
			useradd --system --no-create-home --shell /usr/sbin/nologin "$pguser"
		# from / : the caller's directory may be one postdesk-pg cannot
		# enter (a checkout in root's 0700 home)
		run_pg() { (cd / && runuser -u "$pguser" -- "$@"); }
	else
		run_pg() { "$@"; }
	fi
	mkdir -p "$dir"
	[ "$(id -u)" -eq 0 ] && chown "$pguser" "$dir"
	chmod 0755 "$dir"
	if [ ! -f "$dir/data/PG_VERSION" ]; then
		run_pg "$bindir/initdb" -D "$dir/data" -U postdesk -A peer -E UTF8 \
			--locale=C.UTF-8 >"$dir/initdb.log" 2>&1 ||
			{ cat "$dir/initdb.log" >&2; return 1; }
	fi
	# rewritten at every start: a kept cluster gets the same rules
	echo "local all all peer map=pd" >"$dir/data/pg_hba.conf"
	{
		echo "pd $(id -un) postdesk"
		for u in ${PD_PG_PEERS-postdesk-test}; do echo "pd $u postdesk"; done
	} >"$dir/data/pg_ident.conf"
	[ "$(id -u)" -eq 0 ] && chown "$pguser" "$dir/data/pg_hba.conf" "$dir/data/pg_ident.conf"
	run_pg "$bindir/pg_ctl" -D "$dir/data" -l "$dir/postgres.log" -w -t 60 \
		-o "-c listen_addresses='' -c unix_socket_directories='$dir' -c port=5432 \
		    -c max_connections=200 -c shared_buffers=128MB -c fsync=on \
		    -c synchronous_commit=on ${PD_PG_OPTIONS:-}" start >/dev/null ||
		{ cat "$dir/postgres.log" >&2; return 1; }
	PGHOST=$dir PGPORT=5432 PGUSER=postdesk PGDATABASE=postgres
	export PGHOST PGPORT PGUSER PGDATABASE
}

pd_pg_stop() {
	dir=$1
	bindir=$(pd_pg_bindir)
	[ -f "$dir/data/postmaster.pid" ] || return 0
	if [ "$(id -u)" -eq 0 ]; then
		(cd / && runuser -u postdesk-pg -- "$bindir/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null)
	else
		"$bindir/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null
	fi
}
