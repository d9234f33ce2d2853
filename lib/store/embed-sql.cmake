# Embed the migrations sql/NNNN_name.sql into a C file (cmake -P).
#   -DSQL_DIR=<source>/sql -DOUT=<build>/pd-store-migrations.c
# The numbers must run 1, 2, 3... without gaps or repeats: a typo in a file
# name fails the build instead of skipping a migration in production.
file(GLOB files "${SQL_DIR}/*.sql")
list(SORT files)
set(body "")
set(table "")
set(expect 1)
foreach(f ${files})
  get_filename_component(base "${f}" NAME_WE)
  if(NOT base MATCHES "^([0-9][0-9][0-9][0-9])_([a-z0-9_]+)$")
    message(FATAL_ERROR "${f}: migration files are named NNNN_name.sql (name: a-z 0-9 _)")
  endif()
  set(name "${CMAKE_MATCH_2}")
  math(EXPR version "1${CMAKE_MATCH_1} - 10000")
  if(NOT version EQUAL expect)
    message(FATAL_ERROR "${f}: expected migration number ${expect}, got ${version}")
  endif()
  math(EXPR expect "${expect} + 1")
  file(READ "${f}" hex HEX)
  string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," hex "${hex}")
  string(REGEX REPLACE "(0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,)" "\\1\n\t" hex "${hex}")
  string(APPEND body "static const char sql_${version}[] = {\n\t${hex}0x00\n};\n")
  string(APPEND table "\t{ ${version}, \"${name}\", sql_${version} },\n")
endforeach()
if(expect EQUAL 1)
  message(FATAL_ERROR "no migrations in ${SQL_DIR}")
endif()
math(EXPR count "${expect} - 1")
file(WRITE "${OUT}.tmp"
"/* Generated from sql/NNNN_name.sql by lib/store/embed-sql.cmake; do not edit. */
#include \"pd-store-private.h\"

${body}
const PdMigration pd_store_migrations[] = {
${table}};
const guint pd_store_n_migrations = ${count};
")
file(COPY_FILE "${OUT}.tmp" "${OUT}" ONLY_IF_DIFFERENT)
file(REMOVE "${OUT}.tmp")
