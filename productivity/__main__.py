from productivity.cli import main

raise SystemExit(main())
