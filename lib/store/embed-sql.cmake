# Embed the migrations sql/NNNN_name.sql and the functions
# sql/functions/<area>.sql into a C file (cmake -P).
#   -DSQL_DIR=<source>/sql -DOUT=<build>/pd-store-migrations.c
# The numbers must run 1, 2, 3... without gaps or repeats: a typo in a file
# name fails the build instead of skipping a migration in production.

# The bytes of file f as a C array named var (NUL-terminated), appended to body.
macro(embed_file var f)
  file(READ "${f}" hex HEX)
  string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," hex "${hex}")
  string(REGEX REPLACE "(0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,)" "\\1\n\t" hex "${hex}")
  string(APPEND body "static const char ${var}[] = {\n\t${hex}0x00\n};\n")
endmacro()

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
  embed_file(sql_${version} "${f}")
  string(APPEND table "\t{ ${version}, \"${name}\", sql_${version} },\n")
endforeach()
if(expect EQUAL 1)
  message(FATAL_ERROR "no migrations in ${SQL_DIR}")
endif()
math(EXPR count "${expect} - 1")

# The functions, in name order (the order they are applied and digested).
file(GLOB function_files "${SQL_DIR}/functions/*.sql")
list(SORT function_files)
set(functions "")
set(n_functions 0)
foreach(f ${function_files})
  get_filename_component(base "${f}" NAME_WE)
  if(NOT base MATCHES "^[a-z0-9_]+$")
    message(FATAL_ERROR "${f}: function files are named <area>.sql (a-z 0-9 _)")
  endif()
  embed_file(functions_${base} "${f}")
  string(APPEND functions "\t{ \"${base}\", functions_${base} },\n")
  math(EXPR n_functions "${n_functions} + 1")
endforeach()
if(n_functions EQUAL 0)
  message(FATAL_ERROR "no function files in ${SQL_DIR}/functions")
endif()
file(WRITE "${OUT}.tmp"
"/* Generated from sql/NNNN_name.sql and sql/functions/<area>.sql by
 * lib/store/embed-sql.cmake; do not edit. */
#include \"pd-store-private.h\"

${body}
const PdMigration pd_store_migrations[] = {
${table}};
const guint pd_store_n_migrations = ${count};

const PdFunctionFile pd_store_function_files[] = {
${functions}};
const guint pd_store_n_function_files = ${n_functions};
")
file(COPY_FILE "${OUT}.tmp" "${OUT}" ONLY_IF_DIFFERENT)
file(REMOVE "${OUT}.tmp")
