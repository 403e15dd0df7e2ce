/* The version of socmesh's programs: socmesh --version, socmeshd
 * --version, stats --prometheus (socmesh_build_info). */
#ifndef SOCMESH_VERSION_H
#define SOCMESH_VERSION_H

#define SOCMESH_VERSION "0.10.0"

#endif
