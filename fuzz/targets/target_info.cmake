# What a fuzz target declares about itself, in comment lines of its source (so adding a target is
# adding one file):
#   // fuzz-seeds: KIND          seed corpus: fuzz/corpus/make_seeds.sh writes seeds/KIND/
#   // fuzz-dict: FILE.dict      dictionary in fuzz/dict/
#   // fuzz-regressions: GLOB..  files of fuzz/regressions/ the target replays (e.g. *.mig *.mig.zst)
# lockstep_fuzz_target_info(SRC) sets FUZZ_NAME (foo for foo_target.cpp), FUZZ_SEEDS, FUZZ_DICT
# (absolute path or empty) and FUZZ_REGRESSIONS (absolute paths of the matching files).
function(lockstep_fuzz_target_info src)
  get_filename_component(stem ${src} NAME_WE)
  string(REGEX REPLACE "_target$" "" name ${stem})
  set(seeds "")
  set(dict "")
  set(regressions "")
  file(STRINGS ${src} lines REGEX "^// fuzz-(seeds|dict|regressions):")
  foreach(line ${lines})
    if(line MATCHES "^// fuzz-seeds: *([^ ]+)")
      set(seeds ${CMAKE_MATCH_1})
    elseif(line MATCHES "^// fuzz-dict: *([^ ]+)")
      set(dict ${PROJECT_SOURCE_DIR}/fuzz/dict/${CMAKE_MATCH_1})
    elseif(line MATCHES "^// fuzz-regressions: *(.+)$")
      separate_arguments(globs UNIX_COMMAND "${CMAKE_MATCH_1}")
      foreach(g ${globs})
        file(GLOB matched ${PROJECT_SOURCE_DIR}/fuzz/regressions/${g})
        list(APPEND regressions ${matched})
      endforeach()
    endif()
  endforeach()
  set(FUZZ_NAME ${name} PARENT_SCOPE)
  set(FUZZ_SEEDS ${seeds} PARENT_SCOPE)
  set(FUZZ_DICT ${dict} PARENT_SCOPE)
  set(FUZZ_REGRESSIONS ${regressions} PARENT_SCOPE)
endfunction()
